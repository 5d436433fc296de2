"""Govern's WSGI application with bench/urls.py: the trivial views served by the same process."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")
settings.ROOT_URLCONF = "bench.urls"
application = get_wsgi_application()
