"""
Secret records and the operators' counters in one DynamoDB table.

Many stateless machines share the table, so every rule that must hold across
machines is a conditional write on DynamoDB's side: a new id is put only if
absent, and a view is taken by one conditional decrement that also checks
expiry. DynamoDB's TTL purge is a lazy backstop; expiry is enforced here on
every read and in every condition.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError

from sharing.stores.aws.common import Clients, aws_errors, error_code, error_name
from sharing.stores.base import (
    BURNED,
    DESTROYED,
    TOTAL,
    USED_UP,
    RecordExists,
    RecordStore,
    SecretRecord,
    Tally,
    Usage,
    counter_days,
    counter_span,
    usage_from_counters,
)

log = logging.getLogger(__name__)


def _to_item(record: SecretRecord) -> dict:
    return {
        "secret_id": {"S": record.secret_id},
        "kind": {"S": record.kind},
        "version": {"N": str(record.version)},
        "kdf": {"S": record.kdf},
        "kdf_n": {"N": str(record.kdf_n)},
        "salt": {"B": record.salt},
        "wrapped_key": {"B": record.wrapped_key},
        "payload": {"B": record.payload},
        "views_left": {"N": str(record.views_left)},
        "expires_at": {"N": str(record.expires_at)},
        "blob_size": {"N": str(record.blob_size)},
        "failed_attempts": {"N": str(record.failed_attempts)},
        "view_count": {"N": str(record.view_count)},
        "views_taken": {"N": str(record.views_taken)},
        "created_at": {"N": str(record.created_at)},
        "last_viewed_at": {"N": str(record.last_viewed_at)},
        **({"receipt_hash": {"S": record.receipt_hash}} if record.receipt_hash else {}),
        **({"ended": {"S": record.ended}} if record.ended else {}),
    }


def _from_item(item: dict) -> SecretRecord:
    return SecretRecord(
        secret_id=item["secret_id"]["S"],
        kind=item["kind"]["S"],
        version=int(item["version"]["N"]),
        kdf=item.get("kdf", {"S": "scrypt"})["S"],  # items from before passphrase kinds: scrypt
        kdf_n=int(item["kdf_n"]["N"]),
        # A tombstone keeps no key material: the attributes are removed.
        salt=bytes(item.get("salt", _EMPTY)["B"]),
        wrapped_key=bytes(item.get("wrapped_key", _EMPTY)["B"]),
        payload=bytes(item.get("payload", _EMPTY)["B"]),
        views_left=int(item["views_left"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
        blob_size=int(item.get("blob_size", {"N": "0"})["N"]),
        failed_attempts=int(item.get("failed_attempts", {"N": "0"})["N"]),
        receipt_hash=item.get("receipt_hash", {"S": ""})["S"],
        view_count=int(item.get("view_count", {"N": "0"})["N"]),
        views_taken=int(item.get("views_taken", {"N": "0"})["N"]),
        created_at=int(item.get("created_at", {"N": "0"})["N"]),
        last_viewed_at=int(item.get("last_viewed_at", {"N": "0"})["N"]),
        ended=item.get("ended", {"S": ""})["S"],
    )


_EMPTY = {"B": b""}


def _epoch(now: float) -> dict:
    return {"N": str(int(now))}


COUNTER_KEY = "#counters#"  # secret ids are letters and digits, never "#"
# A receipt's pointer to its record: {"secret_id": "#receipt#<hash>", "points_to": id, "expires_at": ...}.
# Written before the record and checked against it on every lookup, so a
# pointer whose record never came (a failed create) finds nothing.
RECEIPT_KEY = "#receipt#"
# What makes a record a tombstone, with ":ended" its ending (see RecordStore).
# The claim tokens stay: a retried claim must still find its own.
_BURY_SET = "ended = :ended, views_left = :zero, blob_size = :zero"
_BURY_REMOVE = "salt, wrapped_key, payload"
_BURY = f"SET {_BURY_SET} REMOVE {_BURY_REMOVE}"
# A live item: a view left and not expired (":one" and ":now" in the request).
_LIVE = "views_left >= :one AND expires_at > :now"


def _counter_key(day: str) -> dict:
    return {"secret_id": {"S": COUNTER_KEY + day}}


class DynamoRecordStore(RecordStore):
    """
    One item per secret, keyed by ``secret_id``; ``expires_at`` (epoch seconds)
    is the table's TTL attribute. A record is alive while ``views_left >= 1``
    and ``expires_at > now``; everything else reads as absent.

    The operators' counters live in the same table, one item per UTC day and
    one for the totals, each counter a number attribute moved by DynamoDB's
    atomic ``ADD``. They are added after the state change they count, not in a
    transaction with it: every change touches the same few counter items, and
    transactions on hot items cancel each other under load.

    ``max_connections``: how many of a worker's threads may call at once
    without opening a connection of their own (settings pass THREADS).
    """

    def __init__(
        self,
        *,
        table: str = "Secrets",
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        max_connections: int = 32,
    ):
        super().__init__()
        if not table:
            raise ValueError("the DynamoDB table name is empty; set DYNAMO_TABLE")
        self.table = table
        self._clients = Clients("dynamodb", region, endpoint_url, max_connections=max_connections)

    @property
    def client(self):
        return self._clients.get()

    def setup(self) -> None:
        with aws_errors("set up the table"):
            try:
                self.client.describe_table(TableName=self.table)
            except ClientError as e:
                if error_code(e) != "ResourceNotFoundException":
                    raise
                self._create_table()
            self.client.get_waiter("table_exists").wait(
                TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )
            ttl = self.client.describe_time_to_live(TableName=self.table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                self.client.update_time_to_live(
                    TableName=self.table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
                )
            elif ttl.get("AttributeName") != "expires_at":
                log.warning(
                    "Table %s already has TTL on %r, not expires_at", self.table, ttl["AttributeName"]
                )

    def _create_table(self) -> None:
        log.info("Creating DynamoDB table %s", self.table)
        try:
            self.client.create_table(
                TableName=self.table,
                KeySchema=[{"AttributeName": "secret_id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "secret_id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as e:
            # Another machine ran setup at the same moment; the waiter covers it.
            if error_code(e) != "ResourceInUseException":
                raise

    def check(self) -> None:
        with aws_errors("check the table"):
            self.client.get_item(TableName=self.table, Key=_counter_key(TOTAL))

    def put(self, record: SecretRecord, *, tally: Tally | None = None) -> None:
        # The wrapped key is random and unique to this record, so it is this
        # put's idempotency token: if botocore retries a put whose answer was
        # lost, the retry finds its own item and succeeds instead of failing
        # its own create with RecordExists. Nobody else can have read or
        # changed the item in between: its id has not been handed out yet.
        with aws_errors("store a record"):
            if record.receipt_hash:
                self.client.put_item(
                    TableName=self.table,
                    Item={
                        "secret_id": {"S": RECEIPT_KEY + record.receipt_hash},
                        "points_to": {"S": record.secret_id},
                        "expires_at": {"N": str(record.expires_at)},
                    },
                )
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=_to_item(record),
                    ConditionExpression="attribute_not_exists(secret_id) OR wrapped_key = :mine",
                    ExpressionAttributeValues={":mine": {"B": record.wrapped_key}},
                )
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    raise RecordExists(record.secret_id) from None
                raise
        if tally is not None:
            self.count_after(tally.counts(), now=tally.now)

    def get(self, secret_id: str, *, now: float) -> SecretRecord | None:
        with aws_errors("read a record"):
            item = self.client.get_item(
                TableName=self.table, Key={"secret_id": {"S": secret_id}}, ConsistentRead=True
            ).get("Item")
        if item is None or "views_left" not in item:
            return None
        record = _from_item(item)
        if record.expires_at <= int(now) or record.views_left < 1:
            return None
        return record

    def _update(self, key: dict, what: str, **request) -> tuple[dict | None, dict | None]:
        """
        One conditional UpdateItem; return (the item after, None) if it applied,
        or (None, the item as it was, if any) if its condition failed.
        """
        with aws_errors(what):
            try:
                answer = self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **request,
                )
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    return None, e.response.get("Item")
                raise
        return answer["Attributes"], None

    def reserve_attempt(
        self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None
    ) -> SecretRecord | None:
        # One conditional update, which a missing item fails like a spent one,
        # then the same two counter updates either way (adding 0 on a miss):
        # three calls whether or not the id exists.
        after, _ = self._update(
            {"secret_id": {"S": secret_id}},
            "reserve an attempt",
            UpdateExpression="ADD failed_attempts :one",
            ConditionExpression=f"{_LIVE} AND failed_attempts < :limit",
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": _epoch(now), ":limit": {"N": str(limit)}},
        )
        if tally is not None:
            self.count_after(tally.counts() if after else tally.unchanged(), now=tally.now)
        return _from_item(after) if after else None

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        # A random token goes into the item's set of claims in the same
        # update, and the condition refuses a token already there. If botocore
        # retries this call after its answer was lost, the retry fails its
        # condition, and the item as it was shows the token: the view is ours,
        # taken once, and its answer is read back instead of a false "gone".
        token = os.urandom(16)
        key = {"secret_id": {"S": secret_id}}
        after, before = self._update(
            key,
            "claim a view",
            UpdateExpression=(
                "SET views_left = views_left - :one, last_viewed_at = :now"
                " ADD failed_attempts :give_back, claims :token, views_taken :one"
            ),
            ConditionExpression=f"{_LIVE} AND failed_attempts >= :one AND NOT contains(claims, :mine)",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":give_back": {"N": "-1"},
                ":now": _epoch(now),
                ":token": {"BS": [token]},
                ":mine": {"B": token},
            },
        )
        if after is None:
            if before is None or token not in {bytes(t) for t in before.get("claims", {}).get("BS", [])}:
                return None
            after = before
        left = int(after["views_left"]["N"])
        if left == 0:
            self._bury_used_up(key)
        if tally is not None:
            self.count_after(tally.counts(last=left == 0), now=tally.now)
        return left

    def release_attempt(self, secret_id: str, *, tally: Tally | None = None) -> None:
        after, _ = self._update(
            {"secret_id": {"S": secret_id}},
            "give back an attempt",
            UpdateExpression="ADD failed_attempts :give_back",
            ConditionExpression="failed_attempts >= :one",
            ExpressionAttributeValues={":one": {"N": "1"}, ":give_back": {"N": "-1"}},
        )
        if after is not None and tally is not None:
            self.count_after(tally.counts(), now=tally.now)

    def _bury_used_up(self, key: dict) -> None:
        # The view is already ours and a record at 0 views reads as absent, so a
        # failure here must not cost the caller the secret: the leftover keeps
        # its key material only until the sweep or the TTL purge takes it.
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression=_BURY,
                ConditionExpression="views_left = :zero AND attribute_not_exists(ended)",
                ExpressionAttributeValues={":zero": {"N": "0"}, ":ended": {"S": USED_UP}},
            )
        except ClientError as e:
            if error_code(e) != "ConditionalCheckFailedException":  # already a tombstone is as good
                log.warning("Could not clear a used-up record (left for the sweep): %s", error_name(e))
        except BotoCoreError as e:
            log.warning("Could not clear a used-up record (left for the sweep): %s", error_name(e))

    def _old_if(
        self, what: str, operation, secret_id: str, condition: str, values: dict, **request
    ) -> dict | None:
        """
        Apply ``operation`` (the client's delete_item or update_item) to the item
        if ``condition`` holds; return the item as it was, or ``None`` if it did not hold.
        """
        with aws_errors(what):
            try:
                return operation(
                    TableName=self.table,
                    Key={"secret_id": {"S": secret_id}},
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_OLD",
                    **request,
                )["Attributes"]
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    return None
                raise

    def _delete_if(self, secret_id: str, what: str, condition: str, values: dict) -> SecretRecord | None:
        """Delete the item if ``condition`` holds; return its record (``None`` for a receipt's pointer)."""
        old = self._old_if(what, self.client.delete_item, secret_id, condition, values)
        return _from_item(old) if old is not None and "views_left" in old else None

    def _bury_if(
        self, secret_id: str, what: str, ended: str, condition: str, values: dict
    ) -> SecretRecord | None:
        """Turn the record into a tombstone if ``condition`` holds; return it as it was."""
        values = {**values, ":zero": {"N": "0"}, ":ended": {"S": ended}}
        old = self._old_if(
            what, self.client.update_item, secret_id, condition, values, UpdateExpression=_BURY
        )
        return None if old is None else _from_item(old)

    def destroy(self, secret_id: str, *, limit: int, tally: Tally | None = None) -> SecretRecord | None:
        destroyed = self._bury_if(
            secret_id,
            "destroy a record",
            DESTROYED,
            "failed_attempts >= :limit AND attribute_not_exists(ended)",
            {":limit": {"N": str(limit)}},
        )
        if destroyed is not None and tally is not None:
            self.count_after(tally.counts(), now=tally.now)
        return destroyed

    def delete(self, secret_id: str, *, now: float, tally: Tally | None = None) -> bool:
        # One step turns a live item into a tombstone and leaves this burn's
        # token in it, so a retried burn is recognised like a retried claim: a
        # retry whose first try was applied fails its condition and finds its
        # own token in the item as it was.
        token = os.urandom(16)
        after, before = self._update(
            {"secret_id": {"S": secret_id}},
            "burn a record",
            UpdateExpression=f"SET {_BURY_SET}, burned_by = :token REMOVE {_BURY_REMOVE}",
            ConditionExpression=_LIVE,
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":now": _epoch(now),
                ":ended": {"S": BURNED},
                ":token": {"B": token},
            },
        )
        if after is None and (before is None or bytes(before.get("burned_by", {}).get("B", b"")) != token):
            return False
        if tally is not None:
            self.count_after(tally.counts(), now=tally.now)
        return True

    def find_receipt(self, receipt_hash: str, *, now: float) -> SecretRecord | None:
        if not receipt_hash:
            return None
        with aws_errors("read a receipt"):
            pointer = self.client.get_item(
                TableName=self.table,
                Key={"secret_id": {"S": RECEIPT_KEY + receipt_hash}},
                ConsistentRead=True,
            ).get("Item")
            if pointer is None:
                return None
            item = self.client.get_item(
                TableName=self.table, Key={"secret_id": pointer["points_to"]}, ConsistentRead=True
            ).get("Item")
        if item is None or "views_left" not in item:
            return None
        record = _from_item(item)
        if record.receipt_hash != receipt_hash or record.expires_at <= int(now):
            return None
        return record

    def sweep_expired(self, *, now: float, tally: Tally | None = None) -> list[SecretRecord]:
        deleted = []
        try:
            with aws_errors("sweep expired records"):
                pages = self.client.get_paginator("scan").paginate(
                    TableName=self.table,
                    ConsistentRead=True,
                    FilterExpression="expires_at <= :now",
                    ExpressionAttributeValues={":now": _epoch(now)},
                )
                for page in pages:
                    for item in page.get("Items", []):
                        # Gone meanwhile (TTL purge, a burn, another sweep): not ours to report.
                        record = self._delete_if(
                            item["secret_id"]["S"], "sweep", "expires_at <= :now", {":now": _epoch(now)}
                        )
                        if record is not None:
                            deleted.append(record)
        finally:
            # Whatever was deleted is counted, even if the sweep stopped part-way.
            self.count_after(self.swept_counts(deleted, tally), now=now)
        return deleted

    # -- counters ---------------------------------------------------------------

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        changes = Tally(now, changes).changes
        if not changes:
            return
        names = {f"#c{i}": name for i, name in enumerate(changes)}
        values = {f":c{i}": {"N": str(n)} for i, n in enumerate(changes.values())}
        expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(changes)))
        with aws_errors("add to the counters"):
            for day in counter_days(now):
                self.client.update_item(
                    TableName=self.table,
                    Key=_counter_key(day),
                    UpdateExpression=expression,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )

    def read_counts(self, *, now: float, days: int = 30) -> Usage:
        wanted = [TOTAL, *(day.isoformat() for day in counter_span(now, days))]
        found: dict[str, dict[str, int]] = {}
        with aws_errors("read the counters"):
            for start in range(0, len(wanted), 100):  # BatchGetItem's limit
                keys = [_counter_key(day) for day in wanted[start : start + 100]]
                request = {self.table: {"Keys": keys, "ConsistentRead": True}}
                while request:
                    answer = self.client.batch_get_item(RequestItems=request)
                    for item in answer["Responses"].get(self.table, []):
                        day = item.pop("secret_id")["S"][len(COUNTER_KEY) :]
                        found[day] = {name: int(value["N"]) for name, value in item.items()}
                    request = answer.get("UnprocessedKeys") or None
        return usage_from_counters(found, now=now, days=days)

    def close(self) -> None:
        self._clients.close()
