"""
A store described as a spec (dotted class path, options, extra environment)
rather than an object, so a test can build the same store again inside
another process.
"""

import os

from django.utils.module_loading import import_string


def build(spec: dict):
    os.environ.update(spec.get("env", {}))
    return import_string(spec["path"])(**spec.get("options", {}))


def built(spec: dict, *rest):
    """For ``all_at_once(prepare=...)``: the store built from ``spec`` inside the process, then the rest."""
    return build(spec), *rest
