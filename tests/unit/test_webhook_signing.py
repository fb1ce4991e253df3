"""Standard Webhooks signatures: a known vector, rotation, the time tolerance, tampering."""

import base64
import hashlib
import hmac
import json

import pytest

from panelist.webhooks import delivery
from panelist.webhooks.delivery import InvalidSignature, sign, signed_headers, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"job_id":"j1","status":"completed","message":"Interview generated","timestamp":"2025-10-09T16:51:14"}'


def test_signature_matches_the_spec_formula_computed_by_hand():
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    expected = base64.b64encode(hmac.new(key, f"{MSG_ID}.{TIMESTAMP}.".encode() + BODY, hashlib.sha256).digest())
    assert sign(key, MSG_ID, TIMESTAMP, BODY) == "v1," + expected.decode()


def test_signature_matches_the_standard_webhooks_reference_vector():
    """The example of the Standard Webhooks specification and its reference libraries."""
    key = delivery.secret_bytes(SECRET)
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_carry_id_timestamp_signatures_type_and_content_type():
    other = delivery.new_secret()
    headers = signed_headers([SECRET, other], MSG_ID, TIMESTAMP, BODY, "interview.completed")
    assert headers["webhook-id"] == MSG_ID
    assert headers["webhook-timestamp"] == str(TIMESTAMP)
    assert headers["webhook-event"] == "interview.completed"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Panelist-Webhooks/1"
    first, second = headers["webhook-signature"].split(" ")
    assert first == sign(delivery.secret_bytes(SECRET), MSG_ID, TIMESTAMP, BODY)
    assert second == sign(delivery.secret_bytes(other), MSG_ID, TIMESTAMP, BODY)


def test_new_secrets_are_32_random_bytes_in_the_whsec_format():
    one, two = delivery.new_secret(), delivery.new_secret()
    assert one.startswith("whsec_")
    assert one != two
    assert len(delivery.secret_bytes(one)) == 32
    with pytest.raises(ValueError, match="whsec_"):
        delivery.secret_bytes("whsec_not base64!")


def _received(secrets, body=BODY, timestamp=TIMESTAMP):
    return signed_headers(secrets, MSG_ID, timestamp, body, "interview.completed")


def test_verify_returns_the_payload():
    assert verify([SECRET], _received([SECRET]), BODY, now_seconds=TIMESTAMP) == json.loads(BODY)


def test_verify_accepts_either_secret_during_rotation():
    new = delivery.new_secret()
    headers = _received([new, SECRET])  # the sender signs with both during the overlap
    assert verify([SECRET], headers, BODY, now_seconds=TIMESTAMP)  # a receiver not yet updated
    assert verify([new], headers, BODY, now_seconds=TIMESTAMP)  # a receiver already updated
    assert verify([new, SECRET], _received([SECRET]), BODY, now_seconds=TIMESTAMP)  # receiver first
    with pytest.raises(InvalidSignature):
        verify([delivery.new_secret()], headers, BODY, now_seconds=TIMESTAMP)


@pytest.mark.parametrize(("skew", "valid"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_verify_enforces_the_tolerance_window_both_ways(skew, valid):
    headers = _received([SECRET])
    if valid:
        assert verify([SECRET], headers, BODY, now_seconds=TIMESTAMP + skew)
    else:
        with pytest.raises(InvalidSignature, match="tolerance"):
            verify([SECRET], headers, BODY, now_seconds=TIMESTAMP + skew)
    assert verify([SECRET], headers, BODY, tolerance=600, now_seconds=TIMESTAMP + 500)


def test_verify_refuses_tampering():
    headers = _received([SECRET])
    with pytest.raises(InvalidSignature):
        verify([SECRET], headers, BODY.replace(b"completed", b"failed"), now_seconds=TIMESTAMP)
    for name, value in [("webhook-id", "msg_other"), ("webhook-timestamp", str(TIMESTAMP + 1))]:
        with pytest.raises(InvalidSignature):
            verify([SECRET], {**headers, name: value}, BODY, now_seconds=TIMESTAMP)
    for signature in ["", "v2," + headers["webhook-signature"][3:], "v1,AAAA", headers["webhook-signature"][:-2]]:
        with pytest.raises(InvalidSignature):
            verify([SECRET], {**headers, "webhook-signature": signature}, BODY, now_seconds=TIMESTAMP)


def test_verify_reads_headers_case_insensitively_and_needs_all_three():
    headers = {k.title(): v for k, v in _received([SECRET]).items()}
    assert verify([SECRET], headers, BODY, now_seconds=TIMESTAMP)
    for missing in ("Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"):
        with pytest.raises(InvalidSignature, match="missing"):
            verify([SECRET], {k: v for k, v in headers.items() if k != missing}, BODY, now_seconds=TIMESTAMP)


def test_idempotency_keys_give_stable_ids_per_organization():
    assert delivery.message_id("org1", "task-1") == delivery.message_id("org1", "task-1")
    assert delivery.message_id("org1", "task-1") != delivery.message_id("org2", "task-1")
    assert delivery.message_id("org1") != delivery.message_id("org1")
    assert delivery.message_id("org1").startswith("msg_")


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_is_full_jitter_doubling_from_2_seconds_capped_at_15_minutes(monkeypatch, attempt):
    monkeypatch.setattr(delivery.random, "uniform", lambda low, high: high)
    assert delivery.backoff(attempt) == min(900, 2 * 2 ** (attempt - 1))
    monkeypatch.setattr(delivery.random, "uniform", lambda low, high: low)
    assert delivery.backoff(attempt) == 1  # at least a second
    assert delivery.backoff(attempt, retry_after=120) == 120  # the receiver's Retry-After wins
    assert delivery.backoff(attempt, retry_after=86400) == 900
