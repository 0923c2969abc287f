"""
What each operation costs on AWS, counted: the DynamoDB and S3 requests the
service makes (through botocore's own event hooks on the stores' clients) and
the capacity units DynamoDB reports for them (ReturnConsumedCapacity, added by
the same hooks). The figures are docs/scaling.md's; the bounds here keep them
true. Run with ``-s`` to see the table.
"""

import collections

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sharing.stores.handler import blob_store, record_store

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
CAPACITY_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "Query", "Scan"}


class Meter:
    """Requests per service and operation, and DynamoDB's consumed capacity units, since the last reset."""

    def __init__(self):
        self.calls = collections.Counter()
        self.capacity = 0.0

    def attach(self, client) -> None:
        service = client.meta.service_model.service_name
        client.meta.events.register(f"provide-client-params.{service}", self._ask_capacity)
        client.meta.events.register(f"after-call.{service}", self._count)

    @staticmethod
    def _ask_capacity(params, model, **kwargs):
        if model.name in CAPACITY_OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, http_response, parsed, model, **kwargs):
        service = "dynamodb" if model.name in CAPACITY_OPERATIONS else "s3"
        self.calls[service, model.name] += 1
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.capacity += entry.get("CapacityUnits", 0)

    def take(self) -> dict:
        taken = {
            "dynamodb": sum(n for (service, _), n in self.calls.items() if service == "dynamodb"),
            "s3": sum(n for (service, _), n in self.calls.items() if service == "s3"),
            "capacity": round(self.capacity, 1),
            "by_call": dict(sorted((name, n) for (_, name), n in self.calls.items())),
        }
        self.calls.clear()
        self.capacity = 0.0
        return taken


@pytest.fixture
def meter(aws_settings):
    meter = Meter()
    meter.attach(record_store().client)
    meter.attach(blob_store().client)
    meter.take()
    return meter


USUAL_TEXT = "a text of a usual length, some 40 bytes"
LARGEST_TEXT = "x" * 65536  # MAX_TEXT_BYTES


def create_text(post_json, views: int = 1, text: str = USUAL_TEXT) -> dict:
    response = post_json("/api/text/", {"secret": text, "view_count": views})
    assert response.status_code == 201
    return response.json()


def create_file(api, size: int) -> dict:
    upload = SimpleUploadedFile("data.bin", b"\0" * size, content_type="application/octet-stream")
    response = api.post("/api/files/", {"file": upload, "view_count": 1}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def reveal(post_json, made: dict, passphrase: str | None = None):
    return post_json(
        f"/api/secrets/{made['secret_id']}/reveal/", {"passphrase": passphrase or made["passphrase"]}
    )


def test_requests_and_capacity_of_each_operation(meter, post_json, api):
    costs = {}
    made = create_text(post_json, views=2)
    costs["text create"] = meter.take()
    assert reveal(post_json, made).status_code == 200
    costs["text reveal (views left)"] = meter.take()
    assert reveal(post_json, made).status_code == 200
    costs["text reveal (last view)"] = meter.take()

    made = create_text(post_json, text=LARGEST_TEXT)
    costs["text create 64 KiB"] = meter.take()
    assert reveal(post_json, made).status_code == 200
    costs["text reveal 64 KiB (last view)"] = meter.take()

    made = create_text(post_json)
    meter.take()
    assert reveal(post_json, made, "not the passphrase at all").status_code == 404
    costs["wrong passphrase"] = meter.take()
    assert reveal(post_json, {"secret_id": "A" * 16}, "no such secret at all").status_code == 404
    costs["unknown id"] = meter.take()
    assert (
        post_json(f"/api/secrets/{made['secret_id']}/burn/", {"passphrase": made["passphrase"]}).status_code
        == 204
    )
    costs["burn"] = meter.take()

    for size in (1 * MIB, 100 * MIB):
        made = create_file(api, size)
        costs[f"file create {size // MIB} MiB"] = meter.take()
        response = reveal(post_json, made)
        assert response.status_code == 200
        received = sum(len(chunk) for chunk in response.streaming_content)
        assert received == size
        costs[f"file reveal {size // MIB} MiB"] = meter.take()

    width = max(map(len, costs))
    print(f"\n{'operation':<{width}}  dynamodb  s3  capacity units  calls")
    for name, cost in costs.items():
        counts = f"{cost['dynamodb']:>8}  {cost['s3']:>2}  {cost['capacity']:>14}"
        print(f"{name:<{width}}  {counts}  {cost['by_call']}")

    # Texts never touch S3, and no operation on one secret takes more than a handful of item requests.
    for name, cost in costs.items():
        if not name.startswith("file"):
            assert cost["s3"] == 0, name
        assert 1 <= cost["dynamodb"] <= 8, (name, cost)
    # A file goes up in parts of 5 MiB and comes down as one streamed GET, whatever its size.
    assert costs["file create 1 MiB"]["by_call"].get("PutObject") == 1
    parts = costs["file create 100 MiB"]["by_call"]
    assert parts.get("UploadPart") == -(-(100 * MIB + 64 * 1024) // (5 * MIB))  # ciphertext is a bit larger
    assert parts.get("CreateMultipartUpload") == parts.get("CompleteMultipartUpload") == 1
    for size in (1, 100):
        assert costs[f"file reveal {size} MiB"]["by_call"].get("GetObject") == 1
    # DynamoDB reported what it charges for: write units by the kilobyte, read units by 4 KB.
    assert costs["text create"]["capacity"] > 0
    assert costs["text create 64 KiB"]["capacity"] > 60 + costs["text create"]["capacity"]


def test_meter_counts_what_it_sees(meter):
    record_store().check()
    taken = meter.take()
    assert taken["by_call"] == {"DescribeTable": 1} or taken["dynamodb"] + taken["s3"] >= 1
