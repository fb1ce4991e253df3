"""Machine translation of report content: Amazon Translate's request limits, one call per distinct text."""

import boto3
import pytest
from botocore.stub import Stubber

from panelist.core import aws
from panelist.interviews.ai import translation
from panelist.interviews.ai.translation import AmazonTranslate, chunks


def test_a_short_text_is_one_request():
    assert chunks("Hello there. How are you?") == ["Hello there. How are you?"]


def test_a_long_text_is_cut_between_sentences_within_the_byte_limit():
    sentence = "Das Gespräch lief gut, die Antworten waren präzise und gut begründet. "
    text = sentence * 300  # about 21,000 bytes of UTF-8
    pieces = chunks(text, limit=9_000)
    assert len(pieces) == 3
    assert all(len(piece.encode()) <= 9_000 for piece in pieces)
    assert all(piece.endswith("begründet.") for piece in pieces)
    assert " ".join(pieces) == text.strip()


def test_a_sentence_longer_than_a_request_is_cut_by_characters_never_inside_one():
    text = "日本語" * 2_000  # 18,000 bytes, no sentence end
    pieces = chunks(text, limit=9_000)
    assert "".join(pieces) == text
    assert all(len(piece.encode()) <= 9_000 for piece in pieces)


def test_amazon_translate_is_asked_once_per_distinct_text_and_keeps_the_order(monkeypatch):
    client = boto3.client("translate", region_name="us-east-1")
    stubber = Stubber(client)
    for text, translated in (("Strong answer.", "Réponse solide."), ("Weak answer.", "Réponse faible.")):
        stubber.add_response(
            "translate_text",
            {"TranslatedText": translated, "SourceLanguageCode": "en", "TargetLanguageCode": "fr"},
            {"Text": text, "SourceLanguageCode": "en", "TargetLanguageCode": "fr"},
        )
    monkeypatch.setattr(aws, "client", lambda service: client)
    with stubber:
        out = AmazonTranslate().translate(["Weak answer.", "Strong answer.", "", "Weak answer."], "en", "fr")
    assert out == ["Réponse faible.", "Réponse solide.", "", "Réponse faible."]
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(("provider", "expected"), [("bedrock", AmazonTranslate), ("offline", type(None))])
def test_the_deployments_provider_decides_whether_there_is_a_translator(monkeypatch, provider, expected):
    monkeypatch.setenv("PANELIST_AI_PROVIDER", provider)
    translation.get_settings.cache_clear()
    try:
        assert isinstance(translation.translator(), expected)
    finally:
        translation.get_settings.cache_clear()
