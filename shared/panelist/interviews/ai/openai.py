"""The interview model on any OpenAI-compatible server: `POST {base URL}/chat/completions` (OpenAI, Azure
OpenAI's /openai/v1, a LiteLLM proxy, vLLM, Ollama), on the standard library's http.client.

The capabilities, rules and answer schemas are Bedrock's (`panelist.interviews.ai.prompts`). The system message
is the capability's rules, then "answer only with the JSON object" and the answer's JSON schema; the reply's
text is parsed as JSON and validated with the same pydantic models, an unusable one (not JSON, a schema
violation, the wrong number of items, cut off at the token limit, a refusal) is sent back once with the
problem for a corrected answer, and a second unusable answer raises ModelOutputError.

Structured output. The request asks for `response_format` `json_schema` (strict: the schema made strict-mode
compatible, every object closed and every property required); a server that refuses it (400 or 422 naming
response_format) is asked again with `json_object`, then with no response_format at all (the prompt alone asks
for JSON, and the first JSON object of the reply is taken). What a server refused is remembered for the life
of the process, as are `max_completion_tokens` for servers that refuse `max_tokens` and no `temperature` for
models that accept only their default.

Time. The figures are the model's in `panelist.core.aws`: on a request (the follow-up) 2 s + 12 s, one
attempt, one round, and the offline engine decides when the model fails; in the background 3 s + 60 s and
two attempts (a timeout, a refused or dropped connection, 408, 429 and 5xx are tried again after 1 s), 127 s
a round, within MODEL_CALL_BUDGET and the `time_limit` deadline exactly as Bedrock's rounds. Each attempt is
cut at its connect + read timeout whatever the server trickles. Transient failures that outlast the attempts
raise ModelOutputError (the callers retry later); a refusal that no retry mends (401, 403, 404, another 4xx)
raises ConfigurationError.

The key. PANELIST_OPENAI_API_KEY where set (local runs), else the secret PANELIST_OPENAI_API_KEY_SECRET_ID
(`{"api_key": "..."}` or the bare key, cached 5 minutes as the other secrets, fetched again once on a 401),
else none: the request then has no Authorization header. It is sent as `Authorization: Bearer` (and
`api-key` to Azure hosts), never logged, and scrubbed from any server message that is logged or raised.

The base URL is operator configuration (template parameter OpenAiBaseUrl), not tenant input: any host,
loopback and private addresses included, but only http(s) (checked by the settings and again here).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Literal
from urllib.parse import urlsplit

from botocore.config import Config
from pydantic import ValidationError

from panelist.core import aws
from panelist.core.errors import ConfigurationError
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.interviews.ai.model import ModelOutputError
from panelist.interviews.ai.prompts import (
    MODEL_CALL_BUDGET,
    TEMPERATURE,
    M,
    PromptedModel,
    Unusable,
    answer_schema,
    current_deadline,
    describe,
)

Mode = Literal["json_schema", "json_object", "prompted"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "prompted")
# The model's timeouts and attempts (panelist.core.aws): what a round of each profile may take at worst.
LIMITS: dict[aws.Profile, Config] = {"request": aws.MODEL_REQUEST, "background": aws.MODEL_BACKGROUND}
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
KEY_CACHE_SECONDS = 300  # as panelist.core.signing's secrets
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_ANSWER_ECHO = 8_000  # chars of an unusable answer sent back with its problem
MAX_SERVER_MESSAGE = 500  # chars of a server's error message kept in logs and exceptions
# Parameters that are not part of strict mode's subset of JSON Schema; pydantic still checks them.
_NOT_STRICT = frozenset(
    {"default", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
)
MIN_READ_SECONDS = 1.0  # the least time for its answer a request is started with
MAX_JSON_STARTS = 20  # `{` of a prose answer tried as the start of its JSON object
_KEYISH = re.compile(r"\bsk-[A-Za-z0-9*._-]{6,}")  # an OpenAI key, even masked as servers echo it


class _Transient(Exception):
    """No answer this time: a timeout, a dropped connection, 408, 429 or 5xx."""


def strict_schema(node: Any) -> Any:
    """`node` within strict structured output's subset: every object closed with all its properties required
    (optional ones are already nullable), no string-length or numeric bounds, no defaults."""
    if isinstance(node, list):
        return [strict_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    strict = {key: strict_schema(value) for key, value in node.items() if key not in _NOT_STRICT}
    if strict.get("type") == "object" and isinstance(strict.get("properties"), dict):
        strict["additionalProperties"] = False
        strict["required"] = list(strict["properties"])
    return strict


def first_json_object(text: str) -> Any:
    """The JSON object `text` is, or the first one in it (after prose or inside a ``` fence)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for _, match in zip(range(MAX_JSON_STARTS), re.finditer(r"\{", text), strict=False):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise Unusable("the answer is not a JSON object: answer with the JSON object only, no other text")


def _scrub(text: str, key: str) -> str:
    if key:
        text = text.replace(key, "[key]")
    return _KEYISH.sub("[key]", text)[:MAX_SERVER_MESSAGE]


def _server_message(body: bytes) -> tuple[str, str]:
    """The error's message and `param` from an OpenAI-style error body (or the body's text)."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip(), ""
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or json.dumps(error)
        return str(message), str(error.get("param") or "")
    return str(error), ""


@cache
def _tls() -> ssl.SSLContext:
    """Built on first use: loading the CA bundle costs a cold start otherwise."""
    return ssl.create_default_context()


def _abort(held: list[socket.socket], aborted: threading.Event) -> None:
    """Wake a blocked read by shutting the socket (the response holds it once the connection let it go)."""
    aborted.set()
    for sock in held:  # socket.socket's shutdown, also for an SSLSocket: leaves TLS state alone
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def post_json(
    url: str, payload: dict[str, Any], headers: dict[str, str], *, connect: float, read: float
) -> tuple[int, bytes]:
    """POST `payload` as JSON; the status and body. At most `connect` to connect, `read` for each read, and
    `connect + read` in all (the socket is shut at that moment); `_Transient` when there is no response."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"the model server's URL must be http(s), not {parts.scheme!r}")
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=connect, context=_tls()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect)
    limit = connect + read
    aborted = threading.Event()  # a reply cut short at the limit can look complete: never trust one
    held: list[socket.socket] = []
    timer = threading.Timer(limit, _abort, (held, aborted))
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        connection.connect()
        if connection.sock is not None:
            held.append(connection.sock)
            connection.sock.settimeout(read)
        if aborted.is_set():
            raise TimeoutError
        body = json.dumps(payload).encode()
        connection.request("POST", parts.path or "/", body=body, headers={**headers, "Connection": "close"})
        response = connection.getresponse()
        data = response.read(MAX_RESPONSE_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        if aborted.is_set() or time.monotonic() - started >= limit:
            raise _Transient(f"no response within {limit:g} s") from None
        raise _Transient("timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}") from None
    finally:
        timer.cancel()
        connection.close()
    if aborted.is_set():
        raise _Transient(f"no response within {limit:g} s")
    if len(data) > MAX_RESPONSE_BYTES:
        raise _Transient(f"the response is larger than {MAX_RESPONSE_BYTES} bytes")
    return response.status, data


def worst_case(profile: aws.Profile) -> float:
    """The longest one round on `profile`'s limits takes: every attempt to its timeouts, and the pauses."""
    return aws.worst_case_seconds(LIMITS[profile])


def api_key(*, fresh: bool = False) -> str:
    """The server's API key: PANELIST_OPENAI_API_KEY, else the secret's `api_key` (or bare value), else ""."""
    settings = get_settings()
    if configured := settings.openai_api_key.get_secret_value().strip():
        return configured
    if not settings.openai_api_key_secret_id:
        return ""
    value = aws.secrets().get(settings.openai_api_key_secret_id, max_age=KEY_CACHE_SECONDS, force_fetch=fresh)
    text = (value.decode() if isinstance(value, bytes) else str(value or "")).strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("api_key") or "")
        except (ValueError, AttributeError):
            raise ConfigurationError('the OpenAI API key secret is not {"api_key": "..."}') from None
    return text.strip()


class OpenAiModel(PromptedModel):
    """A chat model behind an OpenAI-compatible API; PANELIST_OPENAI_BASE_URL and PANELIST_OPENAI_MODEL pick it."""

    def __init__(self, model: str | None = None, base_url: str | None = None) -> None:
        settings = get_settings()
        self.model = model or settings.openai_model
        self.base_url = (base_url or settings.openai_base_url).rstrip("/")
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ConfigurationError("PANELIST_OPENAI_BASE_URL must be an http(s) URL")
        self.url = f"{self.base_url}/chat/completions"
        self._azure = (urlsplit(self.base_url).hostname or "").endswith(".azure.com")
        # What the server refused, learnt from its 400s and kept for the process's life.
        self.mode: Mode = "json_schema"
        self.tokens_parameter = "max_tokens"
        self.temperature: float | None = TEMPERATURE

    @property
    def engine(self) -> str:
        return f"openai:{self.model}"

    def _ask(
        self,
        *,
        rules: str,
        prompt: str,
        tool: str,
        description: str,
        output: type[M],
        max_tokens: int,
        schema_items: tuple[str, int] | None = None,
        check: Callable[[M], None] | None = None,
        interactive: bool = False,
    ) -> M:
        """The model's JSON answer, validated as `output`; one corrected answer asked for, then ModelOutputError.

        Rounds are chosen as Bedrock's: `interactive` one round on the request limits; otherwise a round starts
        only when its worst case fits before MODEL_CALL_BUDGET (and the `time_limit` deadline) runs out.
        """
        key = api_key()  # an AWS call of its own (cached), before the model's time starts
        deadline = time.monotonic() + MODEL_CALL_BUDGET
        profiles: tuple[aws.Profile, ...] = ("background",)
        if interactive:  # 14 s in all, a request refused for its parameters and asked again included
            deadline, profiles = time.monotonic() + worst_case("request"), ("request",)
        elif (limit := current_deadline()) is not None:
            deadline, profiles = min(deadline, limit), ("background", "request")
        schema = answer_schema(output, schema_items)
        instructions = (
            f"{rules}\n{description} Answer only with one JSON object, no other text, matching this JSON schema:\n"
            f"{json.dumps(schema, separators=(',', ':'))}"
        )
        turns: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        rounds = 1 if interactive else 2
        for attempt in range(1, rounds + 1):
            left = deadline - time.monotonic()
            # Interactive: its one round is the deadline's whole span (each request within it, see _complete).
            profile = "request" if interactive else next((p for p in profiles if worst_case(p) <= left), None)
            if profile is None:
                raise ModelOutputError(f"{tool}: no time left for a model call")
            choice, key = self._complete(instructions, turns, tool, schema, max_tokens, LIMITS[profile], deadline, key)
            content = _text(choice.get("message") or {})
            try:
                if choice.get("finish_reason") == "length":
                    raise Unusable("the answer was cut off at the token limit: be more concise")
                refusal = (choice.get("message") or {}).get("refusal")
                if refusal:
                    raise Unusable(f"the answer was a refusal ({str(refusal)[:300]})")
                if not content.strip():
                    raise Unusable("the answer was empty")
                try:
                    answer = output.model_validate(first_json_object(content))
                except ValidationError as exc:
                    raise Unusable(describe(exc, "the JSON object")) from None
                if check:
                    check(answer)
                return answer
            except Unusable as problem:
                if attempt == rounds:
                    raise ModelOutputError(f"{tool}: {problem}") from None
                turns += [
                    {"role": "assistant", "content": content[:MAX_ANSWER_ECHO] or "(no answer)"},
                    {
                        "role": "user",
                        "content": f"That answer cannot be used: {problem}. Answer again with the corrected, "
                        "complete JSON object only.",
                    },
                ]
        raise AssertionError("unreachable")  # pragma: no cover

    def _payload(
        self, instructions: str, turns: Sequence[dict[str, Any]], tool: str, schema: dict[str, Any], max_tokens: int
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": instructions}, *turns],
            self.tokens_parameter: max_tokens,
        }
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.mode == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": tool, "schema": strict_schema(schema), "strict": True},
            }
        elif self.mode == "json_object":
            payload["response_format"] = {"type": "json_object"}
        return payload

    def _headers(self, key: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "panelist"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
            if self._azure:
                headers["api-key"] = key
        return headers

    def _complete(
        self,
        instructions: str,
        turns: Sequence[dict[str, Any]],
        tool: str,
        schema: dict[str, Any],
        max_tokens: int,
        limits: Config,
        deadline: float,
        key: str,
    ) -> tuple[dict[str, Any], str]:
        """The first choice of one round (and the key it used): transient failures tried again up to the
        profile's attempts, refused parameters dropped; every request ends by `deadline` (its read timeout
        shortened to fit), or is not started when less than MIN_READ_SECONDS (or half its read timeout) would be
        left for its answer."""
        connect, read = float(vars(limits)["connect_timeout"]), float(vars(limits)["read_timeout"])
        attempts, failures, fresh_key = aws.attempts(limits), 0, False
        while True:
            left = deadline - time.monotonic() - connect
            if left < min(MIN_READ_SECONDS, read / 2):
                raise ModelOutputError(f"{tool}: no time left for a model call")
            payload = self._payload(instructions, turns, tool, schema, max_tokens)
            try:
                status, body = post_json(self.url, payload, self._headers(key), connect=connect, read=min(read, left))
                if status in RETRYABLE:
                    raise _Transient(f"HTTP {status}: {_scrub(_server_message(body)[0], key)}")
            except _Transient as exc:
                failures += 1
                logger.warning("the model server gave no answer", extra={"model": self.model, "problem": str(exc)})
                if failures >= attempts:
                    raise ModelOutputError(f"{tool}: the model server gave no answer ({exc})") from None
                time.sleep(min(2.0 ** (failures - 1), aws.MAX_BACKOFF))
                continue
            if status == 401 and not fresh_key and get_settings().openai_api_key_secret_id:
                key, fresh_key = api_key(fresh=True), True  # the secret may have changed since it was cached
                continue
            if 200 <= status < 300:
                return _choice(body, tool), key
            message, param = _server_message(body)
            if status in (400, 422) and self._adapt(message, param):
                continue
            scrubbed = _scrub(message, key)
            logger.error(
                "the model server refused the request",
                extra={"model": self.model, "status": status, "server_message": scrubbed},
            )
            hint = (
                " (is the API key in OpenAiApiKeySecret, or PANELIST_OPENAI_API_KEY, right?)" if status == 401 else ""
            )
            raise ConfigurationError(f"the model server refused the request ({status}): {scrubbed}{hint}")

    def _adapt(self, message: str, param: str) -> bool:
        """Drop what a 400 says the server does not take; False when there is nothing left to drop."""
        said = f"{param} {message}".lower()
        if self.temperature is not None and "temperature" in said:
            self.temperature = None
            change = "temperature dropped"
        elif self.tokens_parameter == "max_tokens" and "max_completion_tokens" in said:
            self.tokens_parameter = "max_completion_tokens"
            change = "max_completion_tokens instead of max_tokens"
        elif self.mode != "prompted" and ("response_format" in said or self.mode in said):
            self.mode = MODES[MODES.index(self.mode) + 1]
            change = f"response_format {self.mode}" if self.mode != "prompted" else "no response_format"
        else:
            return False
        logger.warning(
            "the model server refused a parameter: asking again", extra={"model": self.model, "change": change}
        )
        return True


def _choice(body: bytes, tool: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
        choice = data["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ModelOutputError(f"{tool}: the model server's response is not a chat completion") from None
    if not isinstance(choice, dict):
        raise ModelOutputError(f"{tool}: the model server's response is not a chat completion")
    return choice


def _text(message: dict[str, Any]) -> str:
    """The message's text: a string, or the text parts of a list of content parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""
