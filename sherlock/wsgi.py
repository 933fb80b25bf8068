"""WSGI entry point for the catalogue."""

import os

from django.core.wsgi import get_wsgi_application

from sherlock.warmup import freeze_when_warm

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sherlock.settings")

application = get_wsgi_application()

# Workers live long: once warm, what they keep is left out of the garbage collector's walks.
freeze_when_warm()
