"""The single DynamoDB table: tenant-prefixed keys, sequences, counters, transactions and pages.

Every tenant item lives under `PK = ORG#<organization id>`, so a query can never cross tenants.
Request paths never Scan: lists Query the base table or GSI1 and stop at the page they need.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.core.errors import BadRequest, Conflict
from panelist.core.settings import get_settings

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


def org_pk(organization_id: str) -> str:
    return f"ORG#{organization_id}"


# ------------------------------------------------------------------ (de)serialisation


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items()}


def deserialize(item: Mapping[str, Any]) -> Item:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


# ------------------------------------------------------------------ transactions


def put_op(item: Item, *, unique: bool = False, condition: str | None = None, **values: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"Item": serialize(item)}
    if unique:
        condition = "attribute_not_exists(PK)"
    if condition:
        op["ConditionExpression"] = condition
    if values:
        op["ExpressionAttributeValues"] = serialize(values)
    return {"Put": op}


def update_op(
    pk: str,
    sk: str,
    expression: str,
    *,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    **values: Any,
) -> dict[str, Any]:
    op: dict[str, Any] = {"Key": serialize({"PK": pk, "SK": sk}), "UpdateExpression": expression}
    if condition:
        op["ConditionExpression"] = condition
    if names:
        op["ExpressionAttributeNames"] = names
    if values:
        op["ExpressionAttributeValues"] = serialize({f":{k}": v for k, v in values.items()})
    return {"Update": op}


def delete_op(pk: str, sk: str, *, condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"Key": serialize({"PK": pk, "SK": sk})}
    if condition:
        op["ConditionExpression"] = condition
    return {"Delete": op}


def check_op(pk: str, sk: str, condition: str = "attribute_exists(PK)") -> dict[str, Any]:
    """Make a transaction depend on another item (by default: that it exists)."""
    return {"ConditionCheck": {"Key": serialize({"PK": pk, "SK": sk}), "ConditionExpression": condition}}


def counter_op(pk: str, name: str, delta: int = 1, *, below: int | None = None) -> dict[str, Any]:
    """Add `delta` to the counter `name` of a partition, in the same transaction as what it counts.

    With `below`, only while the counter is under it (a cap: the transaction fails at the cap).
    """
    if below is None:
        return update_op(pk, f"COUNTER#{name}", "ADD #v :d", names={"#v": "value"}, d=delta)
    condition = "attribute_not_exists(#v) OR #v < :below"
    return update_op(
        pk, f"COUNTER#{name}", "ADD #v :d", condition=condition, names={"#v": "value"}, d=delta, below=below
    )


def list_counter(partition: str, *bucket: str) -> str:
    """The name of the counter of a list partition (`bucket`: of its items in one year, month or day)."""
    return "#".join(("LIST", partition, *bucket))


class ConditionFailed(Conflict):
    """A conditional write or a transaction condition did not hold."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("the item changed or already exists")
        self.reasons = reasons


@contextmanager
def _conditional() -> Iterator[None]:
    """A single-item write whose condition did not hold raises ConditionFailed, as a transaction does."""
    try:
        yield
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ConditionFailed(["ConditionalCheckFailed"]) from None
        raise


# ------------------------------------------------------------------ pages


@dataclass(frozen=True)
class Page:
    items: list[Item]
    cursor: str | None


def encode_cursor(key: Mapping[str, Any]) -> str:
    raw = json.dumps(deserialize(key), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, partition_attr: str, partition: str) -> dict[str, Any]:
    """A cursor is only valid for the partition it came from: a forged one cannot cross tenants."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        key = None
    if not isinstance(key, dict) or key.get(partition_attr) != partition:
        raise BadRequest("cursor is not valid for this list", field="cursor", expected="a cursor from this list")
    return serialize(key)


# ------------------------------------------------------------------ the table


class Table:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def get(self, pk: str, sk: str) -> Item | None:
        response = self._client.get_item(TableName=self.name, Key=serialize({"PK": pk, "SK": sk}), ConsistentRead=True)
        return deserialize(response["Item"]) if "Item" in response else None

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Item | None]:
        """Items by (PK, SK), in the order asked, read together (BatchGetItem); None where there is none."""
        found: dict[tuple[str, str], Item] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            chunk = [serialize({"PK": pk, "SK": sk}) for pk, sk in unique[start : start + 100]]
            request: dict[str, Any] = {self.name: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response["Responses"].get(self.name, []):
                    item = deserialize(raw)
                    found[(item["PK"], item["SK"])] = item
                request = response.get("UnprocessedKeys") or {}
        return [found.get(key) for key in keys]

    def put(self, item: Item, *, unique: bool = False) -> None:
        """Write an item (PutItem); with `unique`, refuse to overwrite one that exists (ConditionFailed)."""
        op = put_op(item, unique=unique)["Put"]
        with _conditional():
            self._client.put_item(TableName=self.name, **op)

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        **values: Any,
    ) -> Item:
        """Apply an update expression and return the whole item as it now is."""
        op = update_op(pk, sk, expression, condition=condition, names=names, **values)["Update"]
        with _conditional():
            response = self._client.update_item(TableName=self.name, ReturnValues="ALL_NEW", **op)
        return deserialize(response["Attributes"])

    def transact(self, *ops: dict[str, Any]) -> None:
        for op in ops:
            next(iter(op.values()))["TableName"] = self.name
        try:
            self._client.transact_write_items(TransactItems=list(ops))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" not in reasons:
                raise
            raise ConditionFailed(reasons) from None

    def next_number(self, organization_id: str, sequence: str) -> int:
        """The next number of a per-organization sequence (1, 2, 3, ...), allocated atomically."""
        item = self.update(org_pk(organization_id), f"SEQ#{sequence}", "ADD #v :one", names={"#v": "value"}, one=1)
        return int(item["value"])

    def counter(self, pk: str, name: str) -> int:
        item = self.get(pk, f"COUNTER#{name}")
        return int(item["value"]) if item else 0

    def counters(self, pk: str, names: list[str]) -> dict[str, int]:
        """Several counters of a partition, read together (BatchGetItem); a missing one is 0."""
        items = self.get_many([(pk, f"COUNTER#{name}") for name in names])
        return {name: int(item["value"]) if item else 0 for name, item in zip(names, items, strict=True)}

    def _query_args(
        self,
        partition: str,
        prefix: str | None,
        index: str | None,
        forward: bool,
        between: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        pk_attr, sk_attr = (f"{index}PK", f"{index}SK") if index else ("PK", "SK")
        expression = "#pk = :pk"
        values: dict[str, Any] = {":pk": partition}
        names = {"#pk": pk_attr}
        if prefix:
            expression += " AND begins_with(#sk, :prefix)"
            values[":prefix"] = prefix
        elif between:
            expression += " AND #sk BETWEEN :low AND :high"
            values[":low"], values[":high"] = between
        if prefix or between:
            names["#sk"] = sk_attr
        args: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if index:
            args["IndexName"] = index
        else:
            args["ConsistentRead"] = True
        return args

    def _collect(self, args: dict[str, Any], wanted: int) -> tuple[list[Item], dict[str, Any] | None]:
        """Query page after page until `wanted` items are in hand; never asks for more than that."""
        items: list[Item] = []
        last: dict[str, Any] | None = None
        while len(items) < wanted:
            response = self._client.query(Limit=wanted - len(items), **args)
            items.extend(deserialize(i) for i in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            args = {**args, "ExclusiveStartKey": last}
        return items, last

    def query(
        self,
        partition: str,
        *,
        prefix: str | None = None,
        index: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        forward: bool = True,
    ) -> Page:
        """One page of a partition, reading no more items than the page holds."""
        args = self._query_args(partition, prefix, index, forward)
        if cursor:
            args["ExclusiveStartKey"] = decode_cursor(
                cursor, partition_attr=f"{index}PK" if index else "PK", partition=partition
            )
        items, last = self._collect(args, limit)
        return Page(items, encode_cursor(last) if last else None)

    def query_offset(
        self,
        partition: str,
        *,
        prefix: str | None = None,
        index: str | None = None,
        offset: int = 0,
        limit: int = 50,
        forward: bool = True,
        between: tuple[str, str] | None = None,
    ) -> list[Item]:
        """Items [offset, offset + limit) of a partition (sort keys within `between`, inclusive).

        Reads offset + limit items at most.
        """
        if limit == 0:
            return []
        items, _ = self._collect(self._query_args(partition, prefix, index, forward, between), offset + limit)
        return items[offset:]

    def count(
        self,
        partition: str,
        *,
        prefix: str | None = None,
        index: str | None = None,
        between: tuple[str, str] | None = None,
    ) -> int:
        """How many items a partition holds (sort keys within `between`): a Select=COUNT Query, page by page,
        for lists whose totals depend on the time (no counter can follow them)."""
        args = {**self._query_args(partition, prefix, index, True, between), "Select": "COUNT"}
        total = 0
        while True:
            response = self._client.query(**args)
            total += int(response["Count"])
            if not (last := response.get("LastEvaluatedKey")):
                return total
            args = {**args, "ExclusiveStartKey": last}


@cache
def table() -> Table:
    return Table(get_settings().table)
