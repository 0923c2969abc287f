"""
The views are described by a stand-in and the schema is built in full on
first request (sharing.api.openapi, sharing.api.generator); that a worker
starts without drf-spectacular's machinery is in tests/test_worker_startup.py.
"""


def test_the_schema_is_built_with_every_views_description(api):
    from sharing.api.generator import FullSchemaGenerator

    schema = FullSchemaGenerator().get_schema(request=None, public=True)
    encrypt = schema["paths"]["/encrypt"]["post"]
    assert encrypt["tags"] == ["original API"]  # the view class's own description
    assert {"200", "403", "413", "429"} <= set(encrypt["responses"])  # and what every operation answers
    verifier = schema["components"]["schemas"]["E2ETextCreateRequest"]["properties"]["verifier"]
    assert verifier["minLength"] == verifier["maxLength"] == 43  # a field's own schema


def test_the_stand_in_maps_methods_as_drf_spectacular_does():
    # extend_schema reads it when it decorates a view class, before any schema exists.
    from drf_spectacular.openapi import AutoSchema

    from sharing.api.openapi import AutoSchema as StandIn

    assert StandIn.method_mapping == AutoSchema.method_mapping
