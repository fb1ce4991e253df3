"""The OpenAI-compatible model as deployed: its key read from OpenAiApiKeySecret under the roles of the four
functions that call the model (IAM enforced from template.yaml), and by no other function."""

from __future__ import annotations

import json

import boto3
import pytest

from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.interviews import ai
from panelist.interviews.ai.openai import api_key
from panelist_local import iam
from tests.unit.test_openai_provider import ANALYSIS, KEY, MODEL, RUBRIC_QUESTION, FakeOpenAi, completion

MODEL_FUNCTIONS = ("AnalyseJobFunction", "WriteQuestionsFunction", "SubmitAnswerFunction", "AnalyseSessionFunction")


@pytest.fixture
def server(emulated, template, monkeypatch):
    """The fake server, and the settings the four functions get from the template, the key put in the secret."""
    fake = FakeOpenAi()
    environment = template.functions["SubmitAnswerFunction"].environment
    secret = environment["PANELIST_OPENAI_API_KEY_SECRET_ID"]
    assert secret == template.secret_arn("OpenAiApiKeySecret")
    manager = boto3.client("secretsmanager")
    assert json.loads(manager.get_secret_value(SecretId=secret)["SecretString"]) == {"api_key": ""}  # as deployed
    manager.put_secret_value(SecretId=secret, SecretString=json.dumps({"api_key": KEY}))
    monkeypatch.setenv("PANELIST_AI_PROVIDER", "openai")
    monkeypatch.setenv("PANELIST_OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("PANELIST_OPENAI_MODEL", MODEL)
    monkeypatch.setenv("PANELIST_OPENAI_API_KEY_SECRET_ID", secret)
    monkeypatch.delenv("PANELIST_OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    ai._provider.cache_clear()
    aws.reset()
    yield fake
    manager.put_secret_value(SecretId=secret, SecretString=json.dumps({"api_key": ""}))
    fake.close()
    get_settings.cache_clear()
    ai._provider.cache_clear()
    aws.reset()
    assert fake.violations == []


# The OpenAI-compatible speech engine (SpeechEngine=openai) transcribes with the same server and key.
KEY_READERS = (*MODEL_FUNCTIONS, "TranscribeAnswerFunction")


def test_every_function_that_calls_the_model_gets_the_settings(template):
    for name, function in template.functions.items():
        assert function.environment["PANELIST_OPENAI_BASE_URL"] == "https://api.openai.com/v1", name
        assert function.environment["PANELIST_OPENAI_MODEL"] == "gpt-4o-mini", name
        assert ("PANELIST_OPENAI_API_KEY_SECRET_ID" in function.environment) == (name in KEY_READERS), name


@pytest.mark.parametrize("function", MODEL_FUNCTIONS)
def test_the_model_functions_read_the_key_and_call_the_server(server, stack, function):
    server.replies.append(completion(ANALYSIS))
    with iam.acting_as(stack.role(function)):
        analysis = ai.provider().analyse_job("Backend Engineer", "Python, Django and PostgreSQL.")
    assert analysis.skills[0].name == "Python"
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"


def test_a_follow_up_on_a_request_uses_the_deployed_key(server, stack):
    server.replies.append(completion({"needed": True, "question": "Which tests would catch it?"}))
    with iam.acting_as(stack.role("SubmitAnswerFunction")):
        assert ai.provider().follow_up(RUBRIC_QUESTION, "select_related") == "Which tests would catch it?"


def test_no_other_function_may_read_the_key(server, stack):
    with iam.acting_as(stack.role("GetCampaignFunction")), pytest.raises(Exception, match="AccessDenied"):
        api_key()
