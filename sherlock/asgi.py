"""ASGI entry point for the catalogue."""

import os

from django.core.asgi import get_asgi_application

from sherlock.warmup import freeze_when_warm

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sherlock.settings")

application = get_asgi_application()

# Workers live long: once warm, what they keep is left out of the garbage collector's walks.
freeze_when_warm()
