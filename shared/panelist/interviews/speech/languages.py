"""Our language codes (JobMojito's 34, plus BCP 47 tags such as "en-GB") mapped to each engine's own codes.

An interview's language is never guessed for speech: an unknown code is refused (`UnsupportedLanguage`)
rather than heard as English.
"""

from __future__ import annotations

from panelist.interviews.speech.model import UnsupportedLanguage

# Amazon Transcribe batch language codes for our codes (botocore's LanguageCode enum covers all 34).
TRANSCRIBE: dict[str, str] = {
    "ar": "ar-SA", "bg": "bg-BG", "zh": "zh-CN", "hr": "hr-HR", "cs": "cs-CZ", "da": "da-DK", "nl": "nl-NL",
    "en": "en-US", "fil": "tl-PH", "fi": "fi-FI", "fr": "fr-FR", "de": "de-DE", "el": "el-GR", "hi": "hi-IN",
    "hu": "hu-HU", "id": "id-ID", "it": "it-IT", "ja": "ja-JP", "ko": "ko-KR", "ms": "ms-MY", "no": "no-NO",
    "pl": "pl-PL", "pt": "pt-PT", "br": "pt-BR", "ro": "ro-RO", "ru": "ru-RU", "sk": "sk-SK", "es": "es-ES",
    "sv": "sv-SE", "ta": "ta-IN", "th": "th-TH", "tr": "tr-TR", "uk": "uk-UA", "vi": "vi-VN",
}  # fmt: skip
# Regional tags Transcribe has a model of its own for (else the language's default above).
TRANSCRIBE_REGIONAL = frozenset(
    {"en-AU", "en-GB", "en-IE", "en-IN", "en-NZ", "en-ZA", "en-US", "es-US", "es-MX", "fr-CA", "de-CH",
     "zh-TW", "zh-HK", "ar-AE", "pt-BR", "pt-PT"}
)  # fmt: skip
# ISO 639-1 codes that OpenAI's (Whisper's) `language` parameter takes, where ours differ.
_WHISPER = {"br": "pt", "fil": "tl", "no": "no"}
_ALIASES = {"pt-br": "br", "pt-pt": "pt", "nb": "no", "nn": "no", "tl": "fil", "zh-hans": "zh", "zh-cn": "zh"}


def normalize(code: str) -> tuple[str, str]:
    """(our language code, the tag as given, tidied: "en-gb" → "en-GB"); refuses a code we do not know."""
    tag = code.strip().replace("_", "-")
    parts = tag.lower().split("-")
    tidy = "-".join([parts[0], *(part.upper() if len(part) == 2 else part for part in parts[1:])])
    for length in range(len(parts), 0, -1):
        prefix = "-".join(parts[:length])
        ours = _ALIASES.get(prefix, prefix)
        if ours in TRANSCRIBE:
            return ours, tidy
    raise UnsupportedLanguage(f"unknown language code {code!r}", expected="one of " + ", ".join(sorted(TRANSCRIBE)))


def transcribe_code(code: str) -> str:
    """The Amazon Transcribe LanguageCode for one of our codes ("en-GB" keeps its region where Transcribe has it)."""
    ours, tidy = normalize(code)
    return tidy if tidy in TRANSCRIBE_REGIONAL else TRANSCRIBE[ours]


def whisper_code(code: str) -> str:
    """The ISO 639-1 code an OpenAI-compatible transcription endpoint takes as `language`."""
    ours, _ = normalize(code)
    return _WHISPER.get(ours, ours)


def is_english(code: str) -> bool:
    return normalize(code)[0] == "en"
