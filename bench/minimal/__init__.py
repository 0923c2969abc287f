"""
The baseline: one DRF view on a bare Django project (no middleware, no
database, JSON renderer only), served with the same gunicorn settings as the
service. Routes of ours that derive no key are compared against it.
"""
