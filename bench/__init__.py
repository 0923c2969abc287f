"""
The benchmark: our service beside a minimal DRF view and the peer snappass,
each under gunicorn on 127.0.0.1, loaded in turn (A B A B ...) for several
rounds. Run it with ``python -m bench`` (``--quick`` for a short smoke run);
docs/performance.md says what it measures and what limits each number.
"""
