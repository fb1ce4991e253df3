"""The report pipeline: results in, PDF / HTML / JSON out, each result's PDF rendered once and kept.

A result's PDF is a pure function of its inputs: the session, its interview and candidate, the features,
the language, the translator, the links' base URL and the templates. Its cache key is a digest of all of
them, so any change (an analysis rewritten, a candidate erased, a template edited) makes a new key and an
old part is never served. Parts live under `reports/cache/<org>/<session>/` for 8 days (bucket
lifecycle); the links inside them live 30 days. A completed session's default report is rendered in the
background (RenderReportFunction), so exports usually only merge: a multi-result PDF is a generated cover
with the overview table, then each result's own PDF (page numbers run per candidate), merged with pypdf.
Parts that are missing render in parallel, one result per worker process.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from panelist.billing import credits
from panelist.core import aws
from panelist.core.errors import NotFound, PanelistError, Unprocessable
from panelist.core.observability import logger, metrics
from panelist.core.parallel import in_parallel
from panelist.core.settings import get_settings
from panelist.interviews.ai.translation import Translator, translator
from panelist.models.billing import ChargeKind
from panelist.models.common import new_id
from panelist.models.reports import DEFAULT_FEATURES, ReportFeatures
from panelist.reports import i18n
from panelist.reports.exports import Download, deliver
from panelist.reports.result import ResultSource, TranslationNote, cover_html, load_result, result_document
from panelist.reports.workers import render_all, render_beside
from panelist.sessions.store import get_session_by_number

CACHE_PREFIX = "reports/cache/"


class TranslationFailed(PanelistError):
    """Machine translation failed; what was charged for it has been refunded."""


@cache
def templates_version() -> str:
    """A digest of every template, stylesheet and catalog a report is made from."""
    digest = hashlib.sha256()
    root = resources.files("panelist")
    for folder in ("templates/reports", "reports/locales"):
        stack = [root.joinpath(folder)]
        while stack:
            entry = stack.pop()
            if entry.is_dir():
                stack.extend(sorted(entry.iterdir(), key=lambda e: e.name))
            elif entry.is_file():
                digest.update(entry.name.encode() + entry.read_bytes())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------ what a report is made of


@dataclass(frozen=True)
class Part:
    """One result as it is rendered: its (possibly translated) source, the report language and the note."""

    source: ResultSource
    language: str
    note: TranslationNote | None = None


def own_language(source: ResultSource) -> str:
    return i18n.language(source.session.language).code


def load_results(organization_id: str, session_ids: Sequence[str], field: str) -> list[ResultSource]:
    """The results, in order; one that is not the organization's is reported as the request's `field`."""

    def load(session_id: str) -> ResultSource:
        try:
            return load_result(organization_id, session_id)
        except NotFound:
            raise Unprocessable(f"No interview result {session_id} in this organization", field=field) from None

    return in_parallel(load, session_ids)


def needs_translation(source: ResultSource, language: str | None) -> bool:
    return language is not None and own_language(source) != i18n.language(language).code


def charge_translations(organization_id: str, sources: Sequence[ResultSource], language: str | None) -> str | None:
    """Charge 0.1 credit per result to translate, before any work; the charge's reference, or None if none.

    Offline there is no machine translation, so nothing is translated and nothing is charged.
    """
    count = sum(needs_translation(source, language) for source in sources)
    if not count or translator() is None:
        return None
    reference = f"translation:{new_id()}"
    name = i18n.language(language or "en").name
    try:
        credits.charge(
            organization_id,
            credits.price("translated_report_result", count),
            kind=ChargeKind.translation,
            reference=reference,
            description=f"Report translation: {count} result{'s' if count > 1 else ''} into {name}",
        )
    except PanelistError as exc:  # out of credits: a validation error on this surface, naming the option
        raise Unprocessable(exc.message, field="export_features_result.mojito_language_code") from None
    return reference


def _translated(source: ResultSource, engine: Translator, source_code: str, target_code: str) -> ResultSource:
    """The source with what people and models wrote translated: questions, answers, analysis, assessment."""
    session = source.session.model_dump(mode="json")
    interview = source.interview.model_dump(mode="json") if source.interview else None
    slots: list[tuple[dict[str, Any] | list[Any], Any]] = []

    def text(holder: dict[str, Any] | list[Any], key: Any) -> None:
        if holder[key]:
            slots.append((holder, key))

    for answer in session["answers"]:
        text(answer, "text")
        if answer.get("analysis"):
            text(answer["analysis"], "summary")
            for index in range(len(answer["analysis"]["reasons"])):
                text(answer["analysis"]["reasons"], index)
    for turn in session["turns"]:
        text(turn, "text")
    if session.get("assessment"):
        for key in ("resume_analysis", "overall"):
            text(session["assessment"], key)
        for key in ("why_hire", "why_not_hire"):
            for index in range(len(session["assessment"][key])):
                text(session["assessment"][key], index)
    for question in (interview or {}).get("questions", []):
        text(question, "prompt")
        for index in range(len(question["evaluation_criteria"])):
            text(question["evaluation_criteria"], index)
        for key in ("strong", "moderate", "weak"):
            text(question["expectations"], key)
    translated = engine.translate([holder[key] for holder, key in slots], source_code, target_code)
    for (holder, key), value in zip(slots, translated, strict=True):
        holder[key] = value
    return ResultSource(
        session=type(source.session).model_validate(session),
        interview=type(source.interview).model_validate(interview) if source.interview and interview else None,
        candidate=source.candidate,
    )


def parts_for(
    organization_id: str, sources: Sequence[ResultSource], language: str | None, charge: str | None
) -> list[Part]:
    """Every result ready to render in the report language, translated where it differs (see module doc)."""
    engine = translator()

    def prepare(source: ResultSource) -> Part:
        own = own_language(source)
        if not needs_translation(source, language):
            return Part(source, language or own)
        assert language is not None
        if engine is None:
            return Part(source, language, TranslationNote(own, machine_translated=False))
        target = i18n.language(language)
        translated = _translated(source, engine, i18n.language(own).translate_code, target.translate_code)
        return Part(translated, language, TranslationNote(own, machine_translated=True))

    try:
        return in_parallel(prepare, sources)
    except ClientError as exc:
        logger.warning("translation failed", extra={"error": str(exc)})
        if charge:
            credits.refund(organization_id, charge, "Report translation failed")
        raise TranslationFailed(
            "Machine translation failed; nothing was charged. Try again, or export without mojito_language_code",
            field="export_features_result.mojito_language_code",
        ) from None


# ------------------------------------------------------------------ PDF parts, cached


def part_key(source: ResultSource, features: ReportFeatures, language: str, base_url: str) -> str:
    engine = translator() if needs_translation(source, language) else None
    inputs = {
        "session": source.session.model_dump(mode="json"),
        "interview": source.interview.model_dump(mode="json") if source.interview else None,
        "candidate": source.candidate.model_dump(mode="json") if source.candidate else None,
        "features": features.model_dump(exclude={"mojito_language_code"}),
        "language": language,
        "translator": engine.name if engine else None,
        "base_url": base_url,
        "templates": templates_version(),
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:40]
    session = source.session
    return f"{CACHE_PREFIX}{session.organization_id}/{session.id}/{digest}.pdf"


def cached(key: str) -> bytes | None:
    try:
        body = aws.client("s3").get_object(Bucket=get_settings().bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return bytes(body)


def keep(key: str, pdf: bytes) -> None:
    aws.client("s3").put_object(Bucket=get_settings().bucket, Key=key, Body=pdf, ContentType="application/pdf")


def forget(organization_id: str, session_id: str) -> int:
    """Delete every cached part of a session (its candidate was erased); how many were deleted."""
    s3, bucket = aws.client("s3"), get_settings().bucket
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{CACHE_PREFIX}{organization_id}/{session_id}/"
    ):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


@dataclass
class RenderStats:
    """What one export did: parts served from the cache and parts rendered."""

    cached: int = 0
    rendered: int = 0


def result_pdfs(
    organization_id: str,
    sources: Sequence[ResultSource],
    features: ReportFeatures,
    language: str | None,
    base_url: str,
    *,
    charge: str | None = None,
    stats: RenderStats | None = None,
) -> list[bytes]:
    """Each result's PDF: from the cache where it is, the rest translated and rendered in parallel, then kept."""
    languages = [language or own_language(source) for source in sources]
    keys = [part_key(s, features, lang, base_url) for s, lang in zip(sources, languages, strict=True)]
    pdfs: list[bytes | None] = in_parallel(cached, keys)
    missing = [index for index, pdf in enumerate(pdfs) if pdf is None]
    parts = parts_for(organization_id, [sources[i] for i in missing], language, charge) if missing else []
    documents = [
        result_document(part.source, features=features, language=part.language, base_url=base_url, note=part.note)
        for part in parts
    ]
    rendered = render_all(documents)
    for index, pdf in zip(missing, rendered, strict=True):
        pdfs[index] = pdf
    in_parallel(lambda pair: keep(*pair), [(keys[i], pdf) for i, pdf in zip(missing, rendered, strict=True)])
    if stats is not None:
        stats.cached, stats.rendered = len(sources) - len(missing), len(missing)
    return [pdf for pdf in pdfs if pdf is not None]


def merged(cover: Callable[[], bytes], pdfs: Sequence[bytes], titles: Sequence[str]) -> bytes:
    """One PDF: every result's PDF with an outline entry (bookmark) each, behind the cover.

    The parts are read first and the cover last, so the cover renders meanwhile. The merge copies objects as
    raw bytes (merge.py); a PDF it does not handle is merged by pypdf instead, which parses every object.
    """
    from panelist.reports.merge import UnsupportedPdf, merge_pdfs

    cover_pdf = cache(cover)  # called once, whichever merge needs it
    try:
        return merge_pdfs(cover_pdf, pdfs, titles)
    except UnsupportedPdf as exc:
        logger.warning("raw PDF merge not possible, merging with pypdf", extra={"error": str(exc)})
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf, title in zip(pdfs, titles, strict=True):
        writer.append(io.BytesIO(pdf), outline_item=title, import_outline=False)
    writer.merge(0, PdfReader(io.BytesIO(cover_pdf())), import_outline=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def report_pdf(
    organization_id: str,
    sources: Sequence[ResultSource],
    features: ReportFeatures,
    *,
    base_url: str,
    charge: str | None = None,
    stats: RenderStats | None = None,
) -> bytes:
    """The report PDF of one result, or of several behind a cover with the overview table."""
    language = features.mojito_language_code
    if len(sources) == 1:
        return result_pdfs(organization_id, sources, features, language, base_url, charge=charge, stats=stats)[0]
    cover_language = language or common_language(sources)
    cover = render_beside(cover_html(sources, features=features, language=cover_language))
    pdfs = result_pdfs(organization_id, sources, features, language, base_url, charge=charge, stats=stats)
    return merged(cover, pdfs, [title_of(source) for source in sources])


def common_language(sources: Sequence[ResultSource]) -> str:
    """The results' language when they share one, else English (a combined report's cover and table)."""
    languages = {own_language(source) for source in sources}
    return languages.pop() if len(languages) == 1 else "en"


def title_of(source: ResultSource) -> str:
    candidate = source.candidate
    name = "Erased candidate" if candidate is None or candidate.erased_at else candidate.name
    return f"{name} - #{source.session.number}"


# ------------------------------------------------------------------ entry points


def result_download(
    organization_id: str,
    session_id: str,
    *,
    base_url: str,
    features: ReportFeatures = DEFAULT_FEATURES,
) -> Download:
    """One result's report PDF as a download (`report-<response_id>.pdf`): inline, or a link when too large."""
    source = load_result(organization_id, session_id)
    pdf = report_pdf(organization_id, [source], features, base_url=base_url)
    return deliver(organization_id, session_id, f"report-{source.session.number}.pdf", pdf, "application/pdf")


def response_download(organization_id: str, response_id: int, *, base_url: str, actor: str | None = None) -> Download:
    """Xobin's `download` option: the report PDF of the response numbered `response_id` (with `actor`, audited as
    `report.exported`)."""
    from panelist.compliance import audit  # the audit log, only where a download is audited
    from panelist.models.compliance import AuditAction

    session = get_session_by_number(organization_id, response_id)
    download = result_download(organization_id, session.id, base_url=base_url)
    if actor is not None:
        action = AuditAction.report_exported
        audit.record(organization_id, session.candidate_id, action, actor, session_id=session.id, format="pdf")
    return download


def warm(organization_id: str, session_id: str, *, base_url: str) -> bool:
    """Render a result's default report into the cache unless it is there; whether it had to be rendered."""
    stats = RenderStats()
    source = load_result(organization_id, session_id)
    result_pdfs(organization_id, [source], DEFAULT_FEATURES, None, base_url, stats=stats)
    return stats.rendered > 0


def render_queued(message: str) -> bool:
    """RenderReportFunction's work for one queued message; whether a part was rendered."""
    request = json.loads(message)
    base_url = get_settings().public_base_url
    try:
        rendered = warm(request["organization_id"], request["session_id"], base_url=base_url)
    except NotFound:
        logger.info("report not rendered: the session is gone", extra={"session_id": request["session_id"]})
        rendered = False
    metrics.add_metric(name="ReportRendered" if rendered else "ReportRenderSkipped", unit=MetricUnit.Count, value=1)
    return rendered
