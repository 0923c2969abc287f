"""The soak: the service under mixed load for minutes on end (``make soak``, docs/reliability.md)."""
