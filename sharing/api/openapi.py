"""
What the views are described with (DEFAULT_SCHEMA_CLASS), light until a
schema is built.

``extend_schema`` subclasses the default schema class when a view module is
imported, so whatever it names is loaded by every worker at start-up.
drf-spectacular's ``AutoSchema`` would bring its plumbing, DRF's test client
and ``django.test`` with it (about 5 MiB a worker) for a schema most workers
never build. ``AutoSchema`` here only carries the views' descriptions; when
a schema is generated, ``sharing.api.generator`` sets each one on top of
drf-spectacular's schema (``in_full``), the way drf-spectacular itself
rearranges a view's schema classes, and generates from that.
"""

from rest_framework.schemas.inspectors import ViewInspector


class AutoSchema(ViewInspector):
    """Stands in for ``sharing.api.generator.OpenApiAutoSchema`` until a schema is built."""

    # Read by extend_schema when it decorates a view class: as drf-spectacular's.
    method_mapping = {
        "get": "retrieve",
        "post": "create",
        "put": "update",
        "patch": "partial_update",
        "delete": "destroy",
    }
