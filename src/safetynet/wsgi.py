import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
application = get_wsgi_application()
# Load every app's URLs (and with them the views and the API) now, not on a worker's first
# request: under gunicorn --preload that is once, before the workers fork, instead of a
# four-second first page in each worker.
get_resolver().url_patterns  # noqa: B018
