"""panelist.core.storage against the emulated table of template.yaml: writes, batches, counters and pages."""

from __future__ import annotations

import base64
import json

import pytest

from panelist.core.errors import BadRequest
from panelist.core.storage import (
    ConditionFailed,
    counter_op,
    decode_cursor,
    delete_op,
    encode_cursor,
    list_counter,
    put_op,
    table,
)
from panelist.models.common import new_id


@pytest.fixture
def pk(emulated) -> str:
    return f"ORG#{new_id()}"  # a partition of its own: tests never see each other's items


def test_put_writes_with_one_put_item_and_unique_refuses_an_existing_item(pk, monkeypatch):
    calls = []
    client = table()._client
    for name in ("put_item", "transact_write_items"):
        real = getattr(client, name)
        monkeypatch.setattr(client, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    table().put({"PK": pk, "SK": "A", "value": 1}, unique=True)
    with pytest.raises(ConditionFailed):
        table().put({"PK": pk, "SK": "A", "value": 2}, unique=True)
    table().put({"PK": pk, "SK": "A", "value": 3})  # without `unique`, an overwrite
    assert calls == ["put_item"] * 3  # never a one-item transaction (which costs twice the writes)
    assert table().get(pk, "A")["value"] == 3


def test_delete_op_removes_an_item_in_a_transaction_and_honours_its_condition(pk):
    table().transact(put_op({"PK": pk, "SK": "A"}), put_op({"PK": pk, "SK": "B"}))
    table().transact(delete_op(pk, "A"), delete_op(pk, "B", condition="attribute_exists(PK)"))
    assert table().get(pk, "A") is None
    assert table().get(pk, "B") is None
    with pytest.raises(ConditionFailed) as refused:
        table().transact(put_op({"PK": pk, "SK": "C"}), delete_op(pk, "B", condition="attribute_exists(PK)"))
    assert refused.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table().get(pk, "C") is None  # nothing of a refused transaction is written


def test_get_many_keeps_the_order_asked_past_one_batch_with_repeats_and_gaps(pk):
    for start in range(0, 130, 25):
        table().transact(*(put_op({"PK": pk, "SK": f"I#{n:03d}", "n": n}) for n in range(start, min(start + 25, 130))))
    keys = [(pk, f"I#{n:03d}") for n in reversed(range(130))] + [(pk, "I#007"), (pk, "missing")]
    found = table().get_many(keys)
    assert [item["n"] if item else None for item in found] == [*reversed(range(130)), 7, None]


def test_counters_count_in_transactions_read_together_and_stop_at_a_cap(pk):
    table().transact(counter_op(pk, "a", 2), counter_op(pk, "b", 5))
    table().transact(counter_op(pk, "a", -1))
    assert table().counters(pk, ["a", "b", "never"]) == {"a": 1, "b": 5, "never": 0}
    assert table().counter(pk, "never") == 0
    table().transact(counter_op(pk, "capped", below=2))
    table().transact(counter_op(pk, "capped", below=2))
    with pytest.raises(ConditionFailed):
        table().transact(counter_op(pk, "capped", below=2))
    assert table().counter(pk, "capped") == 2
    assert list_counter("ORG#x#SESSIONS") == "LIST#ORG#x#SESSIONS"
    assert list_counter("ORG#x#SESSIONS", "2026-12") == "LIST#ORG#x#SESSIONS#2026-12"


def test_a_cursor_pages_through_its_partition_and_is_refused_anywhere_else(pk):
    table().transact(*(put_op({"PK": pk, "SK": f"I#{n}"}) for n in range(5)))
    first = table().query(pk, prefix="I#", limit=2)
    second = table().query(pk, prefix="I#", limit=2, cursor=first.cursor)
    third = table().query(pk, prefix="I#", limit=2, cursor=second.cursor)
    assert [i["SK"] for i in first.items + second.items + third.items] == [f"I#{n}" for n in range(5)]
    assert third.cursor is None
    other = f"ORG#{new_id()}"
    key = json.loads(base64.urlsafe_b64decode(first.cursor + "=" * (-len(first.cursor) % 4)))
    forged = encode_cursor({"PK": {"S": other}, "SK": {"S": key["SK"]}})  # the same place, in another tenant
    attempts = [
        (pk, forged),  # names another partition
        (other, first.cursor),  # taken to another partition
        (pk, "not-base64!"),
        (pk, base64.urlsafe_b64encode(b"[1, 2]").decode()),  # JSON, but not a key
        (pk, first.cursor[:-3]),  # cut short
    ]
    for partition, cursor in attempts:
        with pytest.raises(BadRequest) as refused:
            table().query(partition, prefix="I#", limit=2, cursor=cursor)
        assert refused.value.field == "cursor"
    assert decode_cursor(first.cursor, partition_attr="PK", partition=pk) == {"PK": {"S": pk}, "SK": {"S": "I#1"}}


def test_query_offset_reads_no_more_than_offset_plus_limit(pk, monkeypatch):
    table().transact(*(put_op({"PK": pk, "SK": f"I#{n:02d}"}) for n in range(30)))
    asked = []
    client = table()._client
    real = client.query
    monkeypatch.setattr(client, "query", lambda **kw: asked.append(kw["Limit"]) or real(**kw))
    items = table().query_offset(pk, prefix="I#", offset=10, limit=5)
    assert [i["SK"] for i in items] == [f"I#{n:02d}" for n in range(10, 15)]
    assert sum(asked) == 15
    assert table().query_offset(pk, prefix="I#", offset=0, limit=0) == []
