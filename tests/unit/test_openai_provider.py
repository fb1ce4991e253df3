"""The OpenAI-compatible interview model against a local fake server that validates every request as an
OpenAI-compatible server would (path, bearer key, model, messages, response_format, parameters) and answers
scripted chat completions."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from panelist.core import aws
from panelist.core.errors import ConfigurationError
from panelist.core.settings import get_settings
from panelist.interviews import ai
from panelist.interviews.ai import openai as openai_module
from panelist.interviews.ai.offline import OfflineModel
from panelist.interviews.ai.openai import OpenAiModel
from panelist.interviews.ai.prompts import ANALYSE_TOOL, ASSESS_TOOL, EVALUATE_TOOL, FOLLOW_UP_TOOL, QUESTIONS_TOOL
from panelist.models.interviews import Question, Seniority, Skill
from panelist.models.sessions import Answer, AnswerAnalysis, Bucket

KEY = "sk-test-4f8a1c9e2b7d4e6f"
MODEL = "gpt-test-mini"
PARAMETERS = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "response_format"}
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

ANALYSIS = {
    "seniority": "senior",
    "skills": [
        {"name": "Python", "category": "language", "weight": 0.3},
        {"name": "Django", "category": "framework", "weight": 0.25},
        {"name": "PostgreSQL", "category": "database", "weight": 0.2},
        {"name": "Kubernetes", "category": "devops", "weight": 0.1},
        {"name": "REST APIs", "category": "Architecture", "weight": 0.2},  # sums to 1.05, category cased
    ],
}
QUESTION = {
    "prompt": "How do you avoid N+1 queries in a Django REST API, and how do you catch them in review?",
    "evaluation_criteria": ["select_related / prefetch_related", "Query counting in tests"],
    "expectations": {
        "strong": "Explains lazy querysets and asserts query counts in tests.",
        "moderate": "Knows select_related but not how to detect regressions.",
        "weak": "Does not recognise the N+1 pattern.",
    },
}
SECOND_QUESTION = {**QUESTION, "prompt": "When would you use Django signals, and when would you avoid them?"}
RUBRIC_QUESTION = Question(id="q2", skill="Django", **QUESTION)
STRONG_ANSWER = "Querysets are lazy; I use select_related and prefetch_related and assertNumQueries in tests."


# --- The fake server ----------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    delay: float = 0.0  # seconds before the status line
    trickle: float = 0.0  # seconds between the body's bytes


def completion(answer: Any, *, finish: str = "stop") -> Reply:
    """A chat completion whose message is `answer` (a dict as JSON, or text as is)."""
    content = answer if isinstance(answer, str) else json.dumps(answer)
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1764900000,
            "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 356, "total_tokens": 1168},
        }
    )


def _error(message: str, param: str | None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def _strict_problems(node: Any, path: str = "$") -> list[str]:
    """What strict structured output would refuse in a schema."""
    problems = []
    if isinstance(node, dict):
        if "$ref" in node or "$defs" in node:
            problems.append(f"{path}: $ref")
        if node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            if set(node.get("required", [])) != set(node.get("properties", {})):
                problems.append(f"{path}: every property must be required")
        for key in ("minLength", "maxLength", "default"):
            if key in node:
                problems.append(f"{path}: {key} is not supported")
        for key, value in node.items():
            problems += _strict_problems(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            problems += _strict_problems(value, f"{path}[{index}]")
    return problems


class FakeOpenAi:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1: checks each request, answers `replies` in turn.

    `refuse` holds what it answers 400 for, as OpenAI does: response_format types, `max_tokens`,
    `temperature`. `keys`: the bearer keys it accepts (401 otherwise)."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []  # every request's JSON body, refused ones included
        self.headers: list[dict[str, str]] = []
        self.violations: list[str] = []
        self.refuse: set[str] = set()
        self.keys: set[str] = {KEY}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    self._answer(*server.handle(self))

            def _answer(self, reply: Reply) -> None:
                time.sleep(reply.delay)
                body = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not reply.trickle:
                    self.wfile.write(body)
                    return
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.http.block_on_close = False
        self.base_url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.http.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def violation(self, problem: str) -> tuple[Reply]:
        self.violations.append(problem)
        return (Reply(status=400, body=_error(f"fake server: {problem}", None)),)

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[Reply]:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        self.headers.append(headers)
        if handler.path != "/v1/chat/completions":
            return self.violation(f"path {handler.path}")
        if headers.get("content-type") != "application/json":
            return self.violation(f"content-type {headers.get('content-type')}")
        try:
            body = json.loads(handler.rfile.read(int(headers.get("content-length", "0"))))
        except ValueError:
            return self.violation("the body is not JSON")
        self.requests.append(body)
        if self.keys and headers.get("authorization") not in {f"Bearer {key}" for key in self.keys}:
            masked = "sk-tes***" + (headers.get("authorization") or "")[-4:]
            message = f"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com."
            return (Reply(status=401, body=_error(message, None, "invalid_api_key")),)
        if problems := self.check(body):
            return self.violation("; ".join(problems))
        kind = (body.get("response_format") or {}).get("type")
        if kind in self.refuse:
            message = f"Invalid parameter: 'response_format' of type '{kind}' is not supported with this model."
            return (Reply(status=400, body=_error(message, "response_format")),)
        if "max_tokens" in body and "max_tokens" in self.refuse:
            message = (
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            )
            return (Reply(status=400, body=_error(message, "max_tokens", "unsupported_parameter")),)
        if "temperature" in body and "temperature" in self.refuse:
            message = (
                "Unsupported value: 'temperature' does not support 0.2 with this model. "
                "Only the default (1) value is supported."
            )
            return (Reply(status=400, body=_error(message, "temperature", "unsupported_value")),)
        if not self.replies:
            return self.violation("a request the test did not expect")
        return (self.replies.popleft(),)

    def check(self, body: dict[str, Any]) -> list[str]:
        problems = [f"unknown parameter {name}" for name in set(body) - PARAMETERS]
        if body.get("model") != MODEL:
            problems.append(f"model {body.get('model')!r}")
        messages = body.get("messages")
        if not isinstance(messages, list) or len(messages) < 2:
            return [*problems, "messages must be a system and a user message at least"]
        roles = [message.get("role") for message in messages]
        expected = ["system"] + ["user", "assistant"] * len(messages)
        if roles != expected[: len(roles)] or roles[-1] != "user":
            problems.append(f"message roles {roles}")
        if not all(isinstance(m.get("content"), str) and m["content"].strip() for m in messages):
            problems.append("every message needs text content")
        tokens = [name for name in ("max_tokens", "max_completion_tokens") if name in body]
        if len(tokens) != 1 or not isinstance(body[tokens[0]], int) or body[tokens[0]] <= 0:
            problems.append(f"token limit {tokens}")
        if "temperature" in body and not 0 <= body["temperature"] <= 2:
            problems.append("temperature")
        fmt = body.get("response_format")
        if fmt is not None:
            if fmt.get("type") == "json_schema":
                spec = fmt.get("json_schema") or {}
                if set(fmt) != {"type", "json_schema"} or set(spec) != {"name", "schema", "strict"}:
                    problems.append(f"response_format shape {fmt}")
                elif not NAME.match(spec["name"]) or spec["strict"] is not True:
                    problems.append(f"json_schema name or strict {spec['name']!r} {spec['strict']!r}")
                else:
                    problems += _strict_problems(spec["schema"])
            elif fmt != {"type": "json_object"}:
                problems.append(f"response_format {fmt}")
            elif "json" not in json.dumps(messages).lower():
                problems.append("json_object needs the word JSON in the messages")
        return problems

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server(monkeypatch) -> Iterator[FakeOpenAi]:
    fake = FakeOpenAi()
    monkeypatch.setenv("PANELIST_AI_PROVIDER", "openai")
    monkeypatch.setenv("PANELIST_OPENAI_BASE_URL", fake.base_url + "/")
    monkeypatch.setenv("PANELIST_OPENAI_MODEL", MODEL)
    monkeypatch.setenv("PANELIST_OPENAI_API_KEY", KEY)
    monkeypatch.delenv("PANELIST_OPENAI_API_KEY_SECRET_ID", raising=False)
    get_settings.cache_clear()
    yield fake
    fake.close()
    get_settings.cache_clear()
    assert fake.violations == []
    assert not fake.replies, "scripted replies left unasked"


@pytest.fixture
def model(server) -> OpenAiModel:
    return OpenAiModel()


@pytest.fixture
def fast(monkeypatch):
    """Short timeouts: 0.5 s to connect, 0.4 s to read; two attempts in the background, 50 ms apart."""
    monkeypatch.setitem(
        openai_module.LIMITS,
        "request",
        Config(connect_timeout=0.5, read_timeout=0.4, retries={"mode": "standard", "total_max_attempts": 1}),
    )
    monkeypatch.setitem(
        openai_module.LIMITS,
        "background",
        Config(connect_timeout=0.5, read_timeout=0.4, retries={"mode": "standard", "total_max_attempts": 2}),
    )
    monkeypatch.setattr(aws, "MAX_BACKOFF", 0.05)


@pytest.fixture
def timeouts(monkeypatch) -> list[tuple[float, float]]:
    """The (connect, read) timeouts of every request made."""
    seen: list[tuple[float, float]] = []
    post = openai_module.post_json

    def spy(url, payload, headers, *, connect, read):
        seen.append((connect, read))
        return post(url, payload, headers, connect=connect, read=read)

    monkeypatch.setattr(openai_module, "post_json", spy)
    return seen


# --- Every capability ---------------------------------------------------------------------------------------


def test_a_job_analysis_from_a_json_schema_answer(server, model):
    server.replies.append(completion(ANALYSIS))

    analysis = model.analyse_job(" Senior Python Developer ", "Django, PostgreSQL, REST APIs and Kubernetes.")

    assert analysis.role == "Senior Python Developer"
    assert analysis.seniority is Seniority.senior
    assert [s.name for s in analysis.skills] == ["Python", "Django", "PostgreSQL", "REST APIs", "Kubernetes"]
    assert round(sum(s.weight for s in analysis.skills), 2) == 1.0  # renormalised from 1.05
    assert {s.name: s.category for s in analysis.skills}["REST APIs"] == "architecture"
    (request,) = server.requests
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"
    assert (request["model"], request["temperature"], request["max_tokens"]) == (MODEL, 0.2, 1500)
    fmt = request["response_format"]["json_schema"]
    assert (fmt["name"], fmt["strict"]) == (ANALYSE_TOOL, True)
    assert fmt["schema"]["properties"]["seniority"]["enum"] == ["junior", "mid", "senior", "lead"]
    assert fmt["schema"]["properties"]["skills"]["minItems"] == ai.MIN_SKILLS
    system, user = request["messages"]
    assert system["content"].startswith("You analyse job postings")  # bedrock's rules, shared
    assert '"seniority"' in system["content"]  # and the schema, for servers that do not enforce it
    assert "<job_posting>\nDjango, PostgreSQL" in user["content"]


def test_questions_with_the_exact_count_in_the_schema(server, model):
    server.replies.append(completion({"questions": [QUESTION, SECOND_QUESTION]}))
    skill = Skill(name="Django", category="framework", weight=0.25)

    drafts = model.write_questions(skill, Seniority.senior, "Senior Python Developer", 2)

    assert [d.prompt for d in drafts] == [QUESTION["prompt"], SECOND_QUESTION["prompt"]]
    assert all(d.skill == "Django" for d in drafts)
    assert drafts[0].expectations.weak == "Does not recognise the N+1 pattern."
    (request,) = server.requests
    questions = request["response_format"]["json_schema"]["schema"]["properties"]["questions"]
    assert (questions["minItems"], questions["maxItems"]) == (2, 2)
    assert request["response_format"]["json_schema"]["name"] == QUESTIONS_TOOL
    assert "exactly 2 questions" in request["messages"][1]["content"]


@pytest.mark.parametrize(("score", "expected", "bucket"), [(112, 100, Bucket.strong), (-4, 0, Bucket.weak)])
def test_an_evaluation_is_clamped_and_bucketed(server, model, score, expected, bucket):
    server.replies.append(completion({"score": score, "summary": " Complete. ", "reasons": ["Covered: tests"]}))

    analysis = model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Senior Python Developer")

    assert (analysis.score, analysis.bucket, analysis.summary) == (expected, bucket, "Complete.")
    assert server.requests[0]["response_format"]["json_schema"]["name"] == EVALUATE_TOOL
    assert f"<answer>\n{STRONG_ANSWER}\n</answer>" in server.requests[0]["messages"][1]["content"]


def test_a_follow_up_when_needed_and_none_otherwise(server, model, timeouts):
    server.replies.append(completion({"needed": True, "question": " How would you catch   it in review? "}))
    server.replies.append(completion({"needed": False, "question": None}))

    assert model.follow_up(RUBRIC_QUESTION, "I'd use select_related.") == "How would you catch it in review?"
    assert model.follow_up(RUBRIC_QUESTION, STRONG_ANSWER) is None
    assert server.requests[0]["response_format"]["json_schema"]["name"] == FOLLOW_UP_TOOL
    # Asked while the candidate waits: the request limits, 14 s in all (the read shortened by what has passed).
    assert [connect for connect, _ in timeouts] == [2.0, 2.0]
    assert all(11.5 < read <= 12.0 for _, read in timeouts)


def test_the_assessment_sees_every_answer_and_the_resume_and_is_clamped(server, model):
    assessment = {
        "score": 181.26,
        "resume_analysis": "Eight years of Python and Django.",
        "overall": "Strong on the ORM.",
        "why_hire": ["Catches N+1 queries in tests"],
        "why_not_hire": ["Did not answer the PostgreSQL question"],
    }
    server.replies.append(completion(assessment))
    unanswered = RUBRIC_QUESTION.model_copy(update={"id": "q3", "skill": "PostgreSQL", "prompt": "Big tables?"})
    analysis = AnswerAnalysis(score=88, bucket=Bucket.strong, summary="Good.", reasons=["Covered: all"])
    answer = Answer(question_id="q2", text=STRONG_ANSWER, started_at=0, ended_at=20, analysis=analysis)

    result = model.assess_candidate("Senior Python Developer", [RUBRIC_QUESTION, unanswered], [answer], "Python, 8y")

    assert result.score == 88  # the answers' overall score, not the model's own figure
    assert result.provenance is not None
    assert result.provenance.engine == f"openai:{MODEL}"
    assert "Overall score: 88/100" in server.requests[0]["messages"][1]["content"]
    assert result.why_not_hire == ["Did not answer the PostgreSQL question"]
    prompt = server.requests[0]["messages"][1]["content"]
    assert "Score: 88/100 (strong)" in prompt
    assert "Question 2 (PostgreSQL): Big tables?\nNot answered." in prompt
    assert "<resume>\nPython, 8y\n</resume>" in prompt
    assert server.requests[0]["response_format"]["json_schema"]["name"] == ASSESS_TOOL


def test_the_provider_is_chosen_by_settings_and_imported_lazily(server):
    chosen = ai.provider()
    assert isinstance(chosen, OpenAiModel)
    assert chosen is ai.provider("openai")
    assert chosen.url == server.base_url + "/chat/completions"
    ai._provider.cache_clear()
    code = (
        "import sys, panelist.interviews.ai as ai\n"
        "assert 'panelist.interviews.ai.openai' not in sys.modules\n"
        "with ai.time_limit(1): pass\n"
        "assert 'panelist.interviews.ai.openai' not in sys.modules\n"
        "assert 'panelist.interviews.ai.bedrock' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- Structured output: fallbacks ---------------------------------------------------------------------------


def test_a_server_refusing_json_schema_is_asked_with_json_object(server, model):
    server.refuse = {"json_schema"}
    server.replies.append(completion(ANALYSIS))
    server.replies.append(completion(ANALYSIS))

    assert model.analyse_job("Backend Engineer", "Python").skills[0].name == "Python"
    model.analyse_job("Backend Engineer", "Python")

    kinds = [request["response_format"]["type"] for request in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]  # what the server refused is remembered
    assert "JSON schema" in server.requests[1]["messages"][0]["content"]


def test_a_server_refusing_both_is_asked_for_prompted_json_and_prose_around_it_is_ignored(server, model):
    server.refuse = {"json_schema", "json_object"}
    server.replies.append(completion(f"Here is the analysis:\n```json\n{json.dumps(ANALYSIS, indent=1)}\n```\nDone."))

    analysis = model.analyse_job("Backend Engineer", "Python")

    assert len(analysis.skills) == 5
    assert [request.get("response_format", {}).get("type") for request in server.requests] == [
        "json_schema",
        "json_object",
        None,
    ]
    assert "Answer only with one JSON object" in server.requests[2]["messages"][0]["content"]


def test_refused_token_and_temperature_parameters_are_dropped(server, model):
    server.refuse = {"max_tokens", "temperature"}
    server.replies.append(completion({"score": 60, "summary": "Partial.", "reasons": ["Missed: tests"]}))

    assert model.evaluate_answer(RUBRIC_QUESTION, "select_related", role="Engineer").score == 60

    last = server.requests[-1]
    assert "max_tokens" not in last
    assert last["max_completion_tokens"] == 800
    assert "temperature" not in last
    assert len(server.requests) == 3


def test_a_refusal_that_no_parameter_explains_is_a_configuration_error(server, model):
    server.replies.append(Reply(status=404, body=_error(f"The model `{MODEL}` does not exist", "model")))
    with pytest.raises(ConfigurationError, match="404"):
        model.analyse_job("Backend Engineer", "Python")
    assert len(server.requests) == 1


# --- Validation and the corrective retry --------------------------------------------------------------------


def test_a_malformed_answer_is_retried_once_with_the_error(server, model):
    malformed = {"seniority": "expert", "skills": ANALYSIS["skills"][:2]}  # unknown level, too few skills
    server.replies.append(completion(malformed))
    server.replies.append(completion(ANALYSIS))

    assert len(model.analyse_job("Senior Python Developer", "Django and PostgreSQL.").skills) == 5

    first, second = server.requests
    system, user, assistant, reply = second["messages"]
    assert [system, user] == first["messages"]
    assert assistant == {"role": "assistant", "content": json.dumps(malformed)}
    assert reply["role"] == "user"
    assert "cannot be used" in reply["content"]
    assert "seniority" in reply["content"]
    assert "skills" in reply["content"]
    assert second["response_format"] == first["response_format"]


@pytest.mark.parametrize(
    "bad",
    [
        completion("Python, Django and PostgreSQL."),  # not JSON
        completion({"skills": "Python"}),  # not the schema
        completion(ANALYSIS, finish="length"),  # cut off
    ],
    ids=["text", "schema", "cut-off"],
)
def test_a_second_unusable_answer_raises_model_output_error(server, model, bad):
    server.replies.extend([bad, bad])
    with pytest.raises(ai.ModelOutputError, match=ANALYSE_TOOL):
        model.analyse_job("Senior Python Developer", "Django")
    assert len(server.requests) == 2


def test_the_wrong_number_of_questions_is_retried(server, model):
    server.replies.append(completion({"questions": [QUESTION]}))
    server.replies.append(completion({"questions": [QUESTION, SECOND_QUESTION]}))
    skill = Skill(name="Django", category="framework", weight=0.25)
    assert len(model.write_questions(skill, Seniority.mid, "Backend Developer", 2)) == 2
    assert "expected exactly 2 questions, got 1" in server.requests[1]["messages"][3]["content"]


def test_an_unusable_follow_up_is_not_asked_again_the_offline_engine_decides(server, model):
    server.replies.append(completion({"needed": True}))
    asked = model.follow_up(RUBRIC_QUESTION, "Not sure.")
    assert asked == OfflineModel().follow_up(RUBRIC_QUESTION, "Not sure.")
    assert asked
    assert len(server.requests) == 1


# --- Time ---------------------------------------------------------------------------------------------------


def test_background_calls_use_the_long_limits(server, model, timeouts):
    server.replies.append(completion(ANALYSIS))
    model.analyse_job("Backend Engineer", "Python")
    assert timeouts == [(3.0, 60.0)]


def test_a_silent_server_is_tried_twice_in_the_background_then_model_output_error(server, model, fast):
    server.replies.extend([Reply(body={}, delay=1.5), Reply(body={}, delay=1.5)])
    started = time.monotonic()
    with pytest.raises(ai.ModelOutputError, match="no answer"):
        model.analyse_job("Backend Engineer", "Python")
    assert time.monotonic() - started < 2 * (0.5 + 0.4) + 0.05 + 0.4  # two attempts of 0.4 s reads, not 1.5 s
    assert len(server.requests) == 2


def test_a_server_error_is_retried_in_the_background(server, model, fast):
    server.replies.append(Reply(status=503, body=_error("overloaded", None)))
    server.replies.append(completion(ANALYSIS))
    assert model.analyse_job("Backend Engineer", "Python").seniority is Seniority.senior
    assert len(server.requests) == 2


def test_a_trickling_server_is_cut_at_connect_plus_read_and_the_follow_up_is_the_offline_engines(server, model, fast):
    server.replies.append(Reply(body={"padding": "x" * 200}, trickle=0.1))  # each byte within the read timeout
    started = time.monotonic()
    asked = model.follow_up(RUBRIC_QUESTION, "Not sure.")
    assert time.monotonic() - started < 0.5 + 0.4 + 0.4
    assert asked == OfflineModel().follow_up(RUBRIC_QUESTION, "Not sure.")
    assert len(server.requests) == 1  # one attempt while the candidate waits


def test_under_a_time_limit_a_late_call_uses_the_short_limits_and_a_too_late_one_is_not_made(server, model, timeouts):
    evaluation = {"score": 80, "summary": "Complete answer.", "reasons": ["Covered: tests"]}
    server.replies.append(completion(evaluation))
    with ai.time_limit(60):  # the background round's 127 s do not fit; the request limits' 14 s do
        model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")
    with ai.time_limit(10), pytest.raises(ai.ModelOutputError, match="no time left"):
        model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")
    assert timeouts == [(2.0, 12.0)]
    assert len(server.requests) == 1


# --- The key ------------------------------------------------------------------------------------------------


def test_the_api_key_is_never_logged_nor_raised(server, model, capfd, caplog):
    server.keys = {"sk-test-the-right-key-0000"}
    with pytest.raises(ConfigurationError, match="401") as refused:
        model.analyse_job("Backend Engineer", "Python")
    assert model.follow_up(RUBRIC_QUESTION, "Not sure.")  # the offline engine, after logging the failure
    out, err = capfd.readouterr()
    logged = out + err + caplog.text + str(refused.value)
    assert "refused the request" in logged  # the failure is logged...
    assert KEY not in logged  # ...without the key
    assert KEY[-4:] not in str(refused.value)  # nor the server's masked echo of it
    assert "[key]" in str(refused.value)


def test_the_key_comes_from_the_secret_and_is_fetched_again_on_a_401(server, monkeypatch):
    monkeypatch.delenv("PANELIST_OPENAI_API_KEY")
    monkeypatch.setenv("PANELIST_OPENAI_API_KEY_SECRET_ID", "OpenAiApiKeySecret")
    get_settings.cache_clear()
    aws.reset()
    with mock_aws():
        manager = boto3.client("secretsmanager", region_name="us-east-1")
        manager.create_secret(Name="OpenAiApiKeySecret", SecretString=json.dumps({"api_key": KEY}))
        model = OpenAiModel()
        server.replies.extend([completion(ANALYSIS), completion(ANALYSIS)])
        model.analyse_job("Backend Engineer", "Python")
        manager.put_secret_value(SecretId="OpenAiApiKeySecret", SecretString=json.dumps({"api_key": "sk-rotated-9"}))
        server.keys = {"sk-rotated-9"}
        model.analyse_job("Backend Engineer", "Python")  # 401 with the cached key, then the new one
    aws.reset()
    assert [h["authorization"] for h in server.headers] == [f"Bearer {KEY}", f"Bearer {KEY}", "Bearer sk-rotated-9"]


def test_without_a_key_no_authorization_is_sent(server, monkeypatch):
    monkeypatch.delenv("PANELIST_OPENAI_API_KEY")
    get_settings.cache_clear()
    server.keys = set()  # a local Ollama or vLLM
    server.replies.append(completion(ANALYSIS))
    OpenAiModel().analyse_job("Backend Engineer", "Python")
    assert "authorization" not in server.headers[0]


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://models.example.com/v1", "https://user:pw@api.example.com/v1", "https://x/v1?k=1"],
)
def test_only_plain_http_urls_are_taken_as_the_base_url(monkeypatch, url):
    monkeypatch.setenv("PANELIST_OPENAI_BASE_URL", url)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="PANELIST_OPENAI_BASE_URL"):
            get_settings()
    finally:
        get_settings.cache_clear()
    if not url.startswith("http"):
        with pytest.raises(ConfigurationError, match="http"):  # checked again where the request is made
            openai_module.post_json(url, {}, {}, connect=1, read=1)


# --- Provenance and evidence (issue 16) ----------------------------------------------------------------------


def test_an_evaluation_records_the_model_and_drops_invented_quotes(server, model):
    evidence = [
        {
            "criterion": "select_related / prefetch_related",
            "status": "met",
            "quote": "prefetch_related and assertNumQueries",
        },
        {"criterion": "Query counting in tests", "status": "partly", "quote": "we monitor every query in Datadog"},
        {"criterion": "A criterion the rubric never had", "status": "met", "quote": "Querysets are lazy"},
    ]
    server.replies.append(completion({"score": 82, "summary": "Good.", "evidence": evidence, "reasons": ["Specific"]}))

    analysis = model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")

    assert analysis.provenance is not None
    assert analysis.provenance.engine == f"openai:{MODEL}"
    assert analysis.provenance.rubric_version == ai.RUBRIC_VERSION
    assert [e.quote for e in analysis.evidence] == ["prefetch_related and assertNumQueries", None]
    assert [e.criterion for e in analysis.evidence] == RUBRIC_QUESTION.evaluation_criteria  # no invented criterion
    assert all(e.quote is None or e.quote in STRONG_ANSWER for e in analysis.evidence)
    assert not any("Datadog" in reason for reason in analysis.reasons)


def test_a_follow_up_fallback_is_recorded_with_the_model_it_replaced(server, model):
    server.replies.append(completion({"needed": True}))  # unusable: the offline engine decides
    decision = model.follow_up_decision(RUBRIC_QUESTION, "Not sure.")
    assert decision.question == OfflineModel().follow_up(RUBRIC_QUESTION, "Not sure.")
    assert decision.provenance.engine == ai.OFFLINE_ENGINE
    assert decision.provenance.fallback_from == f"openai:{MODEL}"
    assert decision.provenance.fallback_reason
