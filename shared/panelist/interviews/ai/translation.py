"""Machine translation of report content: Amazon Translate on AWS; offline there is none, and reports say so.

The deployment's AI provider decides: `bedrock` (on AWS) translates with Amazon Translate, `offline` (the
local runtime and tests) leaves content as it is. Only what a person wrote or a model generated is
translated (answers, analysis, assessment, questions); labels come from the report's message catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from panelist.core import aws
from panelist.core.parallel import in_parallel
from panelist.core.settings import get_settings

MAX_REQUEST_BYTES = 9_000  # TranslateText takes at most 10,000 bytes of UTF-8 per request
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|\n+")  # also the ideographic . ! ?


class Translator(Protocol):
    name: str

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """`texts` from `source` to `target` (Amazon Translate language codes), in order."""
        ...


def chunks(text: str, limit: int = MAX_REQUEST_BYTES) -> list[str]:
    """`text` in pieces of at most `limit` UTF-8 bytes, cut between sentences where possible."""
    if len(text.encode()) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in filter(None, _SENTENCE_END.split(text)):
        while len(sentence.encode()) > limit:  # one sentence longer than a request: cut it by characters
            cut = len(sentence.encode()[:limit].decode(errors="ignore"))
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        candidate = f"{current} {sentence}" if current else sentence
        if len(candidate.encode()) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = candidate
    return [*pieces, current] if current else pieces


class AmazonTranslate:
    name = "amazon-translate"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        client = aws.client("translate")
        distinct = sorted({text for text in texts if text.strip()})

        def one(text: str) -> str:
            return " ".join(
                client.translate_text(Text=piece, SourceLanguageCode=source, TargetLanguageCode=target)[
                    "TranslatedText"
                ]
                for piece in chunks(text)
            )

        done = dict(zip(distinct, in_parallel(one, distinct, max_workers=8), strict=True))
        return [done.get(text, text) for text in texts]


def translator() -> Translator | None:
    """The deployment's translator; None where there is no machine translation (offline)."""
    return AmazonTranslate() if get_settings().ai_provider == "bedrock" else None
