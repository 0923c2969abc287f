"""
The operators' dashboard: how the service is used, in aggregate only.

It reads the counters the record store keeps (``sharing.stores.base.COUNTERS``)
and shows them to staff in the Django admin and as JSON; ``/healthz`` tells a
load balancer whether the stores answer. Nothing here ever sees a secret, an
id or a passphrase: the counters hold none.
"""
