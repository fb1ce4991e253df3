"""The interviewer's recorded voice (panelist.sessions.voice): Amazon Polly under moto, cached in the bucket.

With QuestionVoice empty (the default) the page speaks with the browser's speech synthesis only: no voice
URL on the page, no media-src in its policy, and GET .../voice answers a null URL. With a voice for the interview's
language, the page names GET .../voice and lets audio play from the bucket; the route synthesizes the
question being asked once (under GetQuestionVoiceFunction's own IAM role), keeps the MP3 under the
interview's id, version and question id, and answers a presigned GET of it.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import boto3
import pytest
import requests

from panelist.core.errors import ConfigurationError
from panelist.core.settings import get_settings
from panelist.models.common import now
from panelist.models.sessions import SessionStatus
from panelist.sessions import voice
from panelist.sessions.voice import Voice, parse_voices, voice_for
from tests.functions.test_interview_flow import (
    _answer,
    _interview,
    _invite,
    _page,
    _session_of,
    _start,
    _token,
)


def _voice(api, token: str):
    return api("get_question_voice", path=f"/interview/session/{token}/voice", path_params={"session_token": token})


@pytest.fixture
def session(api, tenant_a):
    interview = _interview(tenant_a.id, questions=2)
    return interview, _token(_start(api, _invite(tenant_a.id, interview).token, {"consent": "on", "name": "Sam Lee"}))


@pytest.fixture
def joanna(monkeypatch):
    monkeypatch.setenv("PANELIST_QUESTION_VOICE", "fr=Lea@neural,en=Joanna")
    get_settings.cache_clear()


def test_the_setting_names_voices_by_language():
    assert parse_voices("") == {}
    assert parse_voices("Joanna") == {"*": Voice("Joanna")}
    assert parse_voices("en=Joanna, en-GB=Amy@neural ,fr=Lea") == {
        "en": Voice("Joanna"),
        "en-gb": Voice("Amy", "neural"),
        "fr": Voice("Lea"),
    }
    assert voice_for("en-GB", "en=Joanna,en-gb=Amy") == Voice("Amy")
    assert voice_for("en-US", "en=Joanna,en-gb=Amy") == Voice("Joanna")
    assert voice_for("de", "en=Joanna") is None
    assert voice_for("de", "en=Joanna,Hans") == Voice("Hans")
    for bad in ("joanna", "en=Joanna@loud", "en=", "EN_US=Joanna", "en=Jo anna"):
        with pytest.raises(ConfigurationError):
            parse_voices(bad)


def test_without_a_voice_the_page_uses_the_browser_only(api, session):
    _, token = session
    page = _page(api, token)
    assert page.status == 200
    assert "/voice" not in page.body
    assert "media-src" not in page.headers["Content-Security-Policy"]
    assert 'id="speak-controls"' in page.body  # the browser's speech synthesis, with its mute control
    reply = _voice(api, token)
    assert reply.status == 200, reply.body
    assert reply.body == {
        "url": None,
        "question_id": "q1",
        "voice": None,
        "engine": None,
        "content_type": None,
        "expires_in": None,
    }


def test_each_question_is_synthesized_once_and_served_from_the_bucket(api, session, joanna, monkeypatch):
    interview, token = session
    spoken: list[tuple[str, str]] = []
    synthesize = voice._synthesize
    monkeypatch.setattr(voice, "_synthesize", lambda text, v: spoken.append((text, v.voice_id)) or synthesize(text, v))

    page = _page(api, token)
    bucket = get_settings().bucket
    policy = page.headers["Content-Security-Policy"]
    media = re.search(r"media-src ([^;]+)", policy)
    assert media is not None, policy
    assert bucket in media.group(1), policy
    assert f"/interview/session/{token}/voice" in page.body

    first = _voice(api, token)
    assert first.status == 200, first.body
    assert first.body["question_id"] == "q1"
    assert (first.body["voice"], first.body["engine"], first.body["content_type"]) == (
        "Joanna",
        "standard",
        "audio/mpeg",
    )
    assert spoken == [("Question number 1?", "Joanna")]
    prefix = f"orgs/{interview.organization_id}/voice/{interview.id}/v{interview.version}/q1/Joanna-standard-"
    stored = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    assert len(stored) == 1
    assert stored[0]["Key"].endswith(".mp3")
    assert boto3.client("s3").head_object(Bucket=bucket, Key=stored[0]["Key"])["ContentType"] == "audio/mpeg"
    fetched = requests.get(first.body["url"], timeout=10)  # the presigned GET the page plays
    assert fetched.status_code == 200
    assert fetched.content == boto3.client("s3").get_object(Bucket=bucket, Key=stored[0]["Key"])["Body"].read()

    again = _voice(api, token)  # cached: not synthesized again
    assert again.status == 200
    assert again.body["question_id"] == "q1"
    assert len(spoken) == 1

    assert _answer(api, token, "I would measure first, then fix the slowest path.").status == 303
    asked = re.search(r'id="question-heading"[^>]*>([^<]+)<', _page(api, token).body)
    assert asked is not None
    assert asked.group(1) != "Question number 1?"
    second = _voice(api, token)  # only the question being asked is ever spoken, each text its own object
    assert second.status == 200, second.body
    assert spoken == [("Question number 1?", "Joanna"), (html.unescape(asked.group(1)), "Joanna")]
    assert second.body["url"].split("?")[0] != first.body["url"].split("?")[0]


def test_a_voice_polly_refuses_is_a_503_and_the_page_falls_back(api, session, monkeypatch):
    _, token = session
    monkeypatch.setenv("PANELIST_QUESTION_VOICE", "Nobody")  # well formed, but not one of Polly's voices
    get_settings.cache_clear()
    reply = _voice(api, token)
    assert reply.status == 503, reply.body
    assert reply.body["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_forged_token_gets_no_voice(api, session, joanna):
    _, token = session
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    reply = _voice(api, forged)
    assert reply.status in (401, 403), reply.body
    assert "url" not in reply.body


def test_past_the_time_limit_nothing_is_spoken_and_nothing_written(api, tenant_a, joanna, monkeypatch):
    interview = _interview(tenant_a.id, questions=2, minutes=1)
    token = _token(_start(api, _invite(tenant_a.id, interview).token, {"consent": "on", "name": "Sam Lee"}))
    later = now() + timedelta(minutes=5)
    monkeypatch.setattr(voice, "now", lambda: later)
    reply = _voice(api, token)
    assert reply.status == 404, reply.body
    assert reply.body["error"]["code"] == "NOT_FOUND"
    assert _session_of(token).status is SessionStatus.in_progress  # the page, not this route, completes it
