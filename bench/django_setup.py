"""Set up Django inside a benchmark subprocess (the environment comes from bench.harness)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")

import django  # noqa: E402

django.setup()
