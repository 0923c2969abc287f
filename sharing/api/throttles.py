"""
Per-client rate limits on the two costly actions: creating a secret and trying
a passphrase. Each costs a key derivation, so these guard the service's CPU as
much as the secrets.

Hits are counted in a sliding window (``sharing.ratelimit``): in Redis with
REDIS_URL, shared by every machine of a fleet; otherwise in a SQLite file in
DATA_DIR, shared by every worker of this machine. Either way one check is one
atomic step, so a parallel burst from one client cannot slip past the limit.

The client is the peer address unless NUM_PROXIES says how many proxies in
front of us to trust in X-Forwarded-For, so a forged header changes nothing.
An IPv6 client is its /64: one subscriber usually holds a whole /64, and
keying by /128 would hand an attacker 2^64 separate limits.
"""

import functools
import ipaddress

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from sharing.ratelimit import hit_window


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the rest of the key
def client_key(ident: str) -> str:
    """The throttled unit for a client address: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        address = ipaddress.ip_address(ident.strip())
    except ValueError:
        return ident  # not an address (a misconfigured proxy): still one key per value
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ActionRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from ``settings.THROTTLE_RATES[scope]`` on every use."""

    scope: str

    def __init__(self):
        # SimpleRateThrottle reads the rate at construction; here it is read per request.
        self._wait = None

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return f"{self.scope}:{client_key(self.get_ident(request))}"

    def allow_request(self, request, view):
        rate = self.get_rate()
        if not rate:
            return True
        limit, window = self.parse_rate(rate)
        self._wait = hit_window(settings.REDIS_URL, settings.DATA_DIR).hit(
            self.get_cache_key(request, view), limit=limit, window=window
        )
        return self._wait is None

    def wait(self):
        return self._wait


class CreateRateThrottle(ActionRateThrottle):
    scope = "create"


class RevealRateThrottle(ActionRateThrottle):
    """Reveals and burns: each one tries a passphrase."""

    scope = "reveal"


class ReceiptRateThrottle(ActionRateThrottle):
    """Receipt lookups and revokes: cheap, but each one is a guess at a token."""

    scope = "receipt"
