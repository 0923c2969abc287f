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
from collections.abc import Callable, Mapping

from botocore.exceptions import BotoCoreError, ClientError

from sharing.errors import StorageUnavailable
from sharing.stores.aws.common import Clients, aws_errors, error_code, error_name
from sharing.stores.base import (
    RecordExists,
    RecordStore,
    SecretRecord,
    Tally,
    Usage,
    build_usage,
    checked_counts,
    utc_day,
)

log = logging.getLogger(__name__)


def _to_item(record: SecretRecord) -> dict:
    return {
        "secret_id": {"S": record.secret_id},
        "kind": {"S": record.kind},
        "version": {"N": str(record.version)},
        "kdf_n": {"N": str(record.kdf_n)},
        "salt": {"B": record.salt},
        "wrapped_key": {"B": record.wrapped_key},
        "payload": {"B": record.payload},
        "views_left": {"N": str(record.views_left)},
        "expires_at": {"N": str(record.expires_at)},
        "blob_size": {"N": str(record.blob_size)},
        "failed_attempts": {"N": str(record.failed_attempts)},
    }


def _from_item(item: dict) -> SecretRecord:
    return SecretRecord(
        secret_id=item["secret_id"]["S"],
        kind=item["kind"]["S"],
        version=int(item["version"]["N"]),
        kdf_n=int(item["kdf_n"]["N"]),
        salt=bytes(item["salt"]["B"]),
        wrapped_key=bytes(item["wrapped_key"]["B"]),
        payload=bytes(item["payload"]["B"]),
        views_left=int(item["views_left"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
        blob_size=int(item.get("blob_size", {"N": "0"})["N"]),
        failed_attempts=int(item.get("failed_attempts", {"N": "0"})["N"]),
    )


def _epoch(now: float) -> dict:
    return {"N": str(int(now))}


COUNTER_KEY = "#counters#"  # secret ids are letters and digits, never "#"
TOTAL = "total"


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
    """

    def __init__(self, *, table: str = "Secrets", region: str = "us-east-1", endpoint_url: str | None = None):
        super().__init__()
        if not table:
            raise ValueError("the DynamoDB table name is empty; set DYNAMO_TABLE")
        self.table = table
        self._clients = Clients("dynamodb", region, endpoint_url)

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
        changes = checked_counts(tally.changes) if tally else {}
        with aws_errors("store a record"):
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=_to_item(record),
                    ConditionExpression="attribute_not_exists(secret_id)",
                )
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    raise RecordExists(record.secret_id) from None
                raise
        self._count_after_change(changes, tally)

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

    def _update_live(
        self, key: dict, expression: str, attribute: str, *, now: float, what: str
    ) -> int | None:
        """
        Apply ``expression`` to a live item (a view left, not expired at ``now``)
        in one conditional write; return ``attribute``'s new value, or ``None``
        when there was no live item.
        """
        with aws_errors(what):
            try:
                attributes = self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression=expression,
                    ConditionExpression="views_left >= :one AND expires_at > :now",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":now": _epoch(now)},
                    ReturnValues="UPDATED_NEW",
                )["Attributes"]
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    return None
                raise
        return int(attributes[attribute]["N"])

    @staticmethod
    def _counts(tally: Tally | None) -> tuple[dict[str, int], dict[str, int]]:
        """The counts to add after a step, and after one that removed the item; checked before the step."""
        if tally is None:
            return {}, {}
        changes = checked_counts(tally.changes)
        return changes, _summed(changes, checked_counts(tally.if_last))

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        changes, changes_if_last = self._counts(tally)
        key = {"secret_id": {"S": secret_id}}
        left = self._update_live(
            key, "SET views_left = views_left - :one", "views_left", now=now, what="claim a view"
        )
        if left is None:
            return None
        if left == 0:
            self._delete_used_up(key)
        self._count_after_change(changes_if_last if left == 0 else changes, tally)
        return left

    def add_failure(self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None) -> bool:
        changes, changes_if_last = self._counts(tally)
        key = {"secret_id": {"S": secret_id}}
        failed = self._update_live(
            key, "ADD failed_attempts :one", "failed_attempts", now=now, what="count a failed attempt"
        )
        if failed is None:
            return False
        # Exactly one caller sees the count reach the limit; any later one sees it above.
        destroyed = failed == limit
        if destroyed:
            # Taking the views first makes the item read as absent at once,
            # whether or not the delete that follows gets through.
            with aws_errors("destroy a record"):
                try:
                    self.client.update_item(
                        TableName=self.table,
                        Key=key,
                        UpdateExpression="SET views_left = :zero",
                        ExpressionAttributeValues={":zero": {"N": "0"}},
                        ConditionExpression="attribute_exists(secret_id)",
                    )
                except ClientError as e:
                    if error_code(e) != "ConditionalCheckFailedException":  # already gone is as good
                        raise
            self._delete_used_up(key)
        self._count_after_change(changes_if_last if destroyed else changes, tally)
        return destroyed

    def _delete_used_up(self, key: dict) -> None:
        # The view is already ours and a record at 0 views reads as absent, so a
        # failure here must not cost the caller the secret: the leftover item is
        # harmless and goes with the TTL purge or the sweep.
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression="views_left = :zero",
                ExpressionAttributeValues={":zero": {"N": "0"}},
            )
        except (BotoCoreError, ClientError) as e:
            log.warning("Could not delete a used-up record (left for the sweep): %s", error_name(e))

    def delete(self, secret_id: str, *, tally: Tally | None = None) -> bool:
        changes = checked_counts(tally.changes) if tally else {}
        with aws_errors("delete a record"):
            old = self.client.delete_item(
                TableName=self.table, Key={"secret_id": {"S": secret_id}}, ReturnValues="ALL_OLD"
            ).get("Attributes")
        if old is None:
            return False
        self._count_after_change(changes, tally)
        return True

    def sweep_expired(
        self, *, now: float, tally: Callable[[SecretRecord], Mapping[str, int]] | None = None
    ) -> list[SecretRecord]:
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
                        record = self._delete_expired(item["secret_id"], now)
                        if record is not None:
                            deleted.append(record)
        finally:
            # Whatever was deleted is counted, even if the sweep stopped part-way.
            if tally and deleted:
                changes = {}
                for record in deleted:
                    changes = _summed(changes, checked_counts(tally(record)))
                self._count_after_change(changes, Tally(now, changes))
        return deleted

    def _delete_expired(self, key: dict, now: float) -> SecretRecord | None:
        try:
            old = self.client.delete_item(
                TableName=self.table,
                Key={"secret_id": key},
                ConditionExpression="expires_at <= :now",
                ExpressionAttributeValues={":now": _epoch(now)},
                ReturnValues="ALL_OLD",
            )["Attributes"]
        except ClientError as e:
            # Gone meanwhile (TTL purge, a burn, another sweep): not ours to report.
            if error_code(e) == "ConditionalCheckFailedException":
                return None
            raise
        return _from_item(old)

    # -- counters ---------------------------------------------------------------

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        changes = checked_counts(changes)
        if not changes:
            return
        names = {f"#c{i}": name for i, name in enumerate(changes)}
        values = {f":c{i}": {"N": str(n)} for i, n in enumerate(changes.values())}
        expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(changes)))
        with aws_errors("add to the counters"):
            for day in (utc_day(now).isoformat(), TOTAL):
                self.client.update_item(
                    TableName=self.table,
                    Key=_counter_key(day),
                    UpdateExpression=expression,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )

    def _count_after_change(self, changes: Mapping[str, int], tally: Tally | None) -> None:
        # The state change has happened and its result must reach the caller;
        # a count that cannot be added now is lost, never made up later.
        if not changes or tally is None:
            return
        try:
            self.add_counts(changes, now=tally.now)
        except StorageUnavailable:
            log.warning("Counters not updated after a change that succeeded")

    def read_counts(self, *, now: float, days: int = 30) -> Usage:
        span = [day for day, _ in build_usage({}, {}, now=now, days=days).days]
        wanted = [TOTAL, *(day.isoformat() for day in span)]
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
        by_day = {day: found[day.isoformat()] for day in span if day.isoformat() in found}
        return build_usage(found.get(TOTAL, {}), by_day, now=now, days=days)

    def close(self) -> None:
        self._clients.close()


def _summed(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {name: a.get(name, 0) + b.get(name, 0) for name in {*a, *b}}
