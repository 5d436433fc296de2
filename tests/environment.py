"""Test environment, set before Django loads settings (pyproject: `-p tests.environment`)."""

import os

# A developer's .env (DEBUG=1, sandbox URLs, ...) never reaches the tests.
os.environ["ENV_FILE"] = os.devnull
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-which-is-long-enough-0123456789")
# Tests speak plain HTTP to the test client and the live server.
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["DEBUG"] = "0"
# Playwright's sync API runs an event loop in the test thread; the ORM calls there are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
