"""The README's webhook receiver really verifies what Panelist sends."""

import re
import time
from pathlib import Path

import pytest

from panelist.webhooks import delivery

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def readme_verify():
    [code] = [block for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S) if "def verify" in block]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own README
    return namespace["verify"]


def test_the_readme_receiver_accepts_a_signed_delivery_and_refuses_a_tampered_one(readme_verify):
    secret, body = delivery.new_secret(), b'{"job_id": "j1", "status": "completed"}'
    headers = delivery.signed_headers([secret], "msg_1", int(time.time()), body, "ai_interview.generation.completed")
    readme_verify(secret, headers, body)
    with pytest.raises(ValueError, match="bad signature"):
        readme_verify(secret, headers, body.replace(b"completed", b"failed"))
    rotated = delivery.signed_headers([delivery.new_secret(), secret], "msg_2", int(time.time()), body, "x")
    readme_verify(secret, rotated, body)  # during rotation, either secret verifies
