"""The Amazon Bedrock interview model: the Converse API, answering through a forced JSON-schema tool.

Each capability is one tool whose input schema is a pydantic model's: the model must call it, its input is
validated, and an unusable answer (no tool call, a schema violation, the wrong number of items, an answer
cut off at the token limit) is sent back once with the problem for a corrected answer; a second unusable
answer raises ModelOutputError. Throttling and 5xx responses are retried by botocore (standard mode) on the
background client; the request client makes one attempt.

Time. A capability asked on an API request (the follow-up question) uses the `request` client (one attempt,
14 s at worst: `panelist.core.aws`), asks once, and answers with the offline engine when the model fails, so
the request stays inside API Gateway's 30 s. A background capability (generation steps, analysis) uses the
`background` client (127 s at worst per round) and ends within MODEL_CALL_BUDGET: the corrected-answer round
starts only when it can still finish inside it. A background function whose invocation makes several calls
wraps them in `time_limit(seconds)`: a round that could not finish before that deadline on the background
client runs on the short one, or is not started at all (ModelOutputError, which the callers retry later).

The capabilities, their rules and answer schemas are shared with the other model providers
(`panelist.interviews.ai.prompts`); this module is the Converse transport: rules + "Answer only by calling
the <tool> tool.", the schema as the forced tool's input schema.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.interviews.ai.model import ModelOutputError
from panelist.interviews.ai.prompts import (
    ANALYSE_TOOL,
    ASSESS_TOOL,
    EVALUATE_TOOL,
    FOLLOW_UP_TOOL,
    MODEL_CALL_BUDGET,
    QUESTIONS_TOOL,
    TEMPERATURE,
    M,
    PromptedModel,
    Unusable,
    answer_schema,
    current_deadline,
    describe,
    time_limit,
    tool_schema,
)

__all__ = [
    "ANALYSE_TOOL",
    "ASSESS_TOOL",
    "EVALUATE_TOOL",
    "FOLLOW_UP_TOOL",
    "MODEL_CALL_BUDGET",
    "QUESTIONS_TOOL",
    "BedrockModel",
    "time_limit",
    "tool_schema",
]


def _client_for(seconds_left: float, profiles: Sequence[aws.Profile]) -> Any | None:
    """The first client of `profiles` whose worst case fits in `seconds_left`, or None."""
    for profile in profiles:
        if aws.worst_case_seconds(aws.config("bedrock-runtime", profile)) <= seconds_left:
            return aws.client("bedrock-runtime", profile=profile)
    return None


class BedrockModel(PromptedModel):
    """Claude (or any Converse model with tool use) on Amazon Bedrock; PANELIST_BEDROCK_MODEL_ID picks it.

    The capabilities, prompts and answer schemas are `panelist.interviews.ai.prompts`'; this is the transport."""

    def __init__(self, model_id: str | None = None) -> None:
        self.model_id = model_id or get_settings().bedrock_model_id

    @property
    def engine(self) -> str:
        return f"bedrock:{self.model_id}"

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
        """The model's call to `tool`, validated as `output`; one retry with the problem, then ModelOutputError.

        `interactive` (an API request waits): one round on the short client. Otherwise a round starts only
        when its worst case fits before MODEL_CALL_BUDGET (and the `time_limit` deadline, if any) runs out.
        """
        deadline = time.monotonic() + MODEL_CALL_BUDGET
        # Interactive: the short client only. Under a time_limit (several calls in one invocation), a call near
        # its end runs on the short client rather than not at all. Otherwise a round that cannot finish in time
        # is not started: ModelOutputError, which the state machine retries.
        profiles: tuple[aws.Profile, ...] = ("background",)
        if interactive:
            profiles = ("request",)
        elif (limit := current_deadline()) is not None:
            deadline, profiles = min(deadline, limit), ("background", "request")
        schema = answer_schema(output, schema_items)
        system = f"{rules}\nAnswer only by calling the {tool} tool."
        tool_config = {
            "tools": [{"toolSpec": {"name": tool, "description": description, "inputSchema": {"json": schema}}}],
            "toolChoice": {"tool": {"name": tool}},
        }
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": prompt}]}]
        rounds = 1 if interactive else 2
        for attempt in range(1, rounds + 1):
            client = _client_for(deadline - time.monotonic(), profiles)
            if client is None:
                raise ModelOutputError(f"{tool}: no time left for a model call")
            response = client.converse(
                modelId=self.model_id,
                system=[{"text": system}],
                messages=messages,
                toolConfig=tool_config,
                inferenceConfig={"maxTokens": max_tokens, "temperature": TEMPERATURE},
            )
            message = response["output"]["message"]
            use = next(
                (block["toolUse"] for block in message["content"] if block.get("toolUse", {}).get("name") == tool),
                None,
            )
            try:
                if response["stopReason"] == "max_tokens":
                    raise Unusable("the answer was cut off at the token limit: be more concise")
                if use is None:
                    raise Unusable(f"the answer did not call the {tool} tool")
                try:
                    answer = output.model_validate(use["input"])
                except ValidationError as exc:
                    raise Unusable(describe(exc)) from None
                if check:
                    check(answer)
                return answer
            except Unusable as problem:
                if attempt == rounds:
                    raise ModelOutputError(f"{tool}: {problem}") from None
                messages += _feedback(message, tool, str(problem))
        raise AssertionError("unreachable")  # pragma: no cover


def _feedback(message: dict[str, Any], tool: str, problem: str) -> list[dict[str, Any]]:
    """The unusable answer, then the reply naming its problem: a result for each tool call it made (Converse
    requires them), else plain text."""
    text = f"That answer cannot be used: {problem}. Call the {tool} tool again with a corrected, complete input."
    calls = [block["toolUse"]["toolUseId"] for block in message["content"] if "toolUse" in block]
    reply: list[dict[str, Any]] = [{"toolResult": {"toolUseId": call, "content": [{"text": text}]}} for call in calls]
    answer = message["content"] or [{"text": "(no answer)"}]
    return [{"role": "assistant", "content": answer}, {"role": "user", "content": reply or [{"text": text}]}]
