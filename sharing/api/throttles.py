"""
Per-client rate limits on the two costly actions: creating a secret and trying
a passphrase. Each costs a key derivation (~100 ms of a core), so these guard
the service's CPU as much as the secrets.

The history lives in Django's default cache, shared by every worker (a file
cache under DATA_DIR by default, Redis with REDIS_URL). The client is the
peer address unless NUM_PROXIES says how many proxies in front of us to trust
in X-Forwarded-For, so a forged header changes nothing.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ActionRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from ``settings.THROTTLE_RATES[scope]`` on every use."""

    scope: str

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class CreateRateThrottle(ActionRateThrottle):
    scope = "create"


class RevealRateThrottle(ActionRateThrottle):
    """Reveals and burns: each one tries a passphrase."""

    scope = "reveal"
