"""
Conditional writes retried by botocore, against DynamoDB Local: the first
answer to a put or a claim is lost after the server applied the write (the
request is delivered, then the read times out), so botocore sends the same
request again. A retried put must not fail its own create; a retried claim
must take one view and report it, never two, never "gone".
"""

import time

import pytest
import urllib3
from botocore.exceptions import ReadTimeoutError

from sharing.stores.base import RecordExists
from tests.support.records import record

pytest_plugins = ["tests.support.aws_fixtures"]
pytestmark = pytest.mark.slow


def make_record(**fields):
    return record(expires_at=int(time.time()) + 3600, **fields)


def stored_item(store, secret_id: str) -> dict | None:
    answer = store.client.get_item(
        TableName=store.table, Key={"secret_id": {"S": secret_id}}, ConsistentRead=True
    )
    return answer.get("Item")


class LoseFirstAnswer:
    """A botocore event hook: delivers the first ``operation`` request itself, then drops the answer."""

    def __init__(self, client, operation: str):
        self.sent = 0
        self.first_status = None
        self._http = urllib3.PoolManager()
        client.meta.events.register_first(f"before-send.dynamodb.{operation}", self)

    def __call__(self, request, **kwargs):
        self.sent += 1
        if self.sent > 1:
            return None  # botocore sends the retry as usual
        answer = self._http.request(
            request.method, request.url, body=request.body, headers=dict(request.headers)
        )
        self.first_status = answer.status  # 200: the server applied the write
        raise ReadTimeoutError(endpoint_url=request.url)


def test_a_retried_put_does_not_fail_its_own_create(aws_record_store):
    stored = make_record(views=2)
    lost = LoseFirstAnswer(aws_record_store.client, "PutItem")
    aws_record_store.put(stored)
    assert (lost.sent, lost.first_status) == (2, 200)
    assert aws_record_store.get(stored.secret_id, now=time.time()) == stored


def test_a_put_still_refuses_an_id_taken_by_another_record(aws_record_store):
    stored = make_record()
    aws_record_store.put(stored)
    lost = LoseFirstAnswer(aws_record_store.client, "PutItem")
    with pytest.raises(RecordExists):
        aws_record_store.put(make_record(secret_id=stored.secret_id))
    assert lost.sent == 2


@pytest.mark.parametrize("views", [1, 3])
def test_a_retried_claim_takes_one_view_and_reports_it(aws_record_store, views):
    stored = make_record(views=views)
    aws_record_store.put(stored)
    now = time.time()
    assert aws_record_store.reserve_attempt(stored.secret_id, now=now, limit=10) is not None
    lost = LoseFirstAnswer(aws_record_store.client, "UpdateItem")
    assert aws_record_store.claim_view(stored.secret_id, now=now) == views - 1
    # The claim and its retry; after the last view, the update that leaves the tombstone.
    assert (lost.sent, lost.first_status) == (2 if views > 1 else 3, 200)
    item = stored_item(aws_record_store, stored.secret_id)
    if views == 1:
        # The last view left a tombstone, once: no key material, one view taken.
        assert item["ended"] == {"S": "used_up"} and "wrapped_key" not in item
        assert item["views_taken"] == {"N": "1"}
    else:
        assert item["views_left"] == {"N": str(views - 1)}
        assert item["failed_attempts"] == {"N": "0"}  # the reservation went back once


def test_a_retried_burn_reports_the_burn_it_made(aws_record_store):
    stored = make_record(views=3)
    aws_record_store.put(stored)
    lost = LoseFirstAnswer(aws_record_store.client, "UpdateItem")
    assert aws_record_store.delete(stored.secret_id, now=time.time()) is True
    assert (lost.sent, lost.first_status) == (2, 200)
    item = stored_item(aws_record_store, stored.secret_id)  # a burned tombstone, made once
    assert item["ended"] == {"S": "burned"} and "wrapped_key" not in item
    assert aws_record_store.delete(stored.secret_id, now=time.time()) is False
