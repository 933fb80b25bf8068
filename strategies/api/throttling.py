"""Rate limits for anonymous clients, keyed by IP address (behind `NUM_PROXIES` trusted proxies).

Signed-in users (token or session) are not limited. Rates come from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env API_ANON_RATE, API_EXPORT_RATE); a refused request
gets 429 with Retry-After.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """Every anonymous request to the API counts against the `anon` rate."""

    scope = "anon"

    def get_rate(self):
        # DRF binds the rates when its throttle module is imported; read them per request instead,
        # so that a changed setting (a test, a reloaded configuration) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ExportThrottle(AnonymousThrottle):
    """Exports stream the whole matching set, so they have a stricter rate of their own."""

    scope = "export"
