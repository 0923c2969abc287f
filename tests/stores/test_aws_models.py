"""
botocore's data read lean (sharing.stores.aws.models): the same data for what
the aws backend uses, so its clients resolve endpoints and sign exactly as
stock ones do. No servers: every request is answered before it is sent.
"""

import gzip
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.loaders import Loader

from sharing.stores.aws.common import _new_client
from sharing.stores.aws.models import SERVICES, endpoint_table, without_documentation

DATA = Path(Loader.BUILTIN_DATA_PATH)
STOCK_LOADER = Loader()


def read(name: str) -> str:
    plain, packed = DATA / f"{name}.json", DATA / f"{name}.json.gz"
    return plain.read_text() if plain.exists() else gzip.decompress(packed.read_bytes()).decode()


def model_files() -> list[str]:
    names = []
    for service in sorted(SERVICES):
        version = Loader().determine_latest_version(service, "service-2")
        names += [f"{service}/{version}/service-2", f"{service}/{version}/endpoint-rule-set-1"]
    return names


def documentation_emptied(value):
    if isinstance(value, dict):
        return {k: "" if k == "documentation" else documentation_emptied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [documentation_emptied(v) for v in value]
    return value


@pytest.fixture(autouse=True)
def fixed_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unittest")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unittest")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)


def test_the_endpoint_table_keeps_every_partition_whole_but_other_services():
    text = read("endpoints")
    full = json.loads(text)
    lean = endpoint_table(text)

    for partition in full["partitions"]:
        partition["services"] = {k: v for k, v in partition["services"].items() if k in SERVICES}
    assert lean == full
    assert {"dynamodb", "s3"} <= set(lean["partitions"][0]["services"])
    assert len(json.dumps(lean)) < len(text) / 20


@pytest.mark.parametrize("text", ['{"a": [1, {"b": "}"}], "c" : {}}', "{ }", '{"partitions": [ ]}'])
def test_the_endpoint_table_reader_reads_any_json_object(text):
    assert endpoint_table(text) == json.loads(text)


def test_the_endpoint_table_reader_refuses_what_is_not_json():
    for text in ('{"a": 1', '{"a" 1}', '{"a": 1} x', "[1]"):
        with pytest.raises(ValueError):
            endpoint_table(text)


@pytest.mark.parametrize("name", model_files())
def test_models_lose_their_documentation_and_nothing_else(name):
    text = read(name)
    lean = without_documentation(text)
    assert lean == documentation_emptied(json.loads(text))
    assert '"documentation":""' in json.dumps(lean, separators=(",", ":")) or "documentation" not in text


def test_a_documentation_lookalike_inside_a_string_is_left_alone():
    text = r'{"documentation": "a \"quoted\" word", "x": "say \"documentation\": \"no\""}'
    assert without_documentation(text) == {"documentation": "", "x": 'say "documentation": "no"'}


def sent_request(client, call: str, **params):
    """What the client would send for one call: the request is answered before it leaves."""
    seen = []

    def answer(request, **_):
        seen.append(request)
        body = b"{}" if client.meta.service_model.protocol == "json" else b""
        return AWSResponse(request.url, 200, {}, _Raw(body))

    client.meta.events.register_first("before-send", answer)
    getattr(client, call)(**params)
    return seen[0]


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


CALLS = {
    "dynamodb": ("get_item", {"TableName": "Secrets", "Key": {"secret_id": {"S": "A"}}}),
    "s3": ("head_bucket", {"Bucket": "secrets"}),
}


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1", "eusc-de-east-1"]
)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_lean_client_sends_where_and_signs_as_a_stock_one(service, region):
    call, params = CALLS[service]
    session = botocore.session.get_session()
    session.register_component("data_loader", STOCK_LOADER)  # parsed once for every case
    stock = session.create_client(service, region_name=region)
    lean = _new_client(service, region_name=region)

    ours, theirs = sent_request(lean, call, **params), sent_request(stock, call, **params)
    assert ours.url == theirs.url
    scope = lambda request: request.headers["Authorization"].split(b"Credential=")[1].split(b",")[0]  # noqa: E731
    assert scope(ours).split(b"/", 2)[2] == scope(theirs).split(b"/", 2)[2]  # region/service/aws4_request


def test_no_client_for_a_service_the_table_left_out():
    with pytest.raises(ValueError, match="sts"):
        _new_client("sts", region_name="us-east-1")
