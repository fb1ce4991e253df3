"""`POST /job-interview-pdf` (JobMojito): the report of one result or of up to 50, as PDF, HTML or JSON."""

from __future__ import annotations

import json
from datetime import timedelta

from panelist.compliance import audit
from panelist.core import aws
from panelist.core.errors import Unprocessable
from panelist.core.settings import get_settings
from panelist.models.common import new_id, now
from panelist.models.compliance import AuditAction
from panelist.models.exports import HtmlExportOut, JsonExportOut, PdfExportOut, ReportExportRequest
from panelist.models.reports import ExportType
from panelist.reports import store
from panelist.reports.pipeline import (
    charge_translations,
    common_language,
    load_results,
    parts_for,
    report_pdf,
)
from panelist.reports.result import ResultSource, combined_html, json_result, overview_table_html, result_document

LINK_LIFETIME = timedelta(hours=1)
EXPIRING_FOLDER_DAYS = 7  # the bucket's lifecycle empties exports/ after this long (template.yaml)
MAX_INLINE_BYTES = 5 * 1024 * 1024  # an HTML or JSON export travels in the response (Lambda's limit is 6 MB)


def requested_ids(request: ReportExportRequest) -> tuple[list[str], str]:
    """The result ids, in order, and the field that named them; exactly one of the two fields, no repeats."""
    if request.interview_result_id and request.interview_result_ids is not None:
        raise Unprocessable(
            "Provide either interview_result_id or interview_result_ids, not both", field="interview_result_ids"
        )
    if request.interview_result_id:
        return [str(request.interview_result_id)], "interview_result_id"
    if not request.interview_result_ids:
        if request.interview_result_ids is not None:
            raise Unprocessable("interview_result_ids must hold at least one id", field="interview_result_ids")
        raise Unprocessable("Field is required.", field="interview_result_id")
    ids = [str(value) for value in request.interview_result_ids]
    repeated = sorted({value for value in ids if ids.count(value) > 1})
    if repeated:
        raise Unprocessable(f"interview_result_ids lists {repeated[0]} more than once", field="interview_result_ids")
    return ids, "interview_result_ids"


def export_report(
    organization_id: str, request: ReportExportRequest, *, base_url: str, actor: str | None = None
) -> PdfExportOut | HtmlExportOut | JsonExportOut:
    """The export; with `actor`, audited once it is made: a `report.exported` entry for each result in it."""
    ids, field = requested_ids(request)
    sources = load_results(organization_id, ids, field)
    out = _export(organization_id, request, sources, base_url=base_url)
    if actor is not None:
        kind = request.export_type.value
        for source in sources:
            session = source.session
            audit.record(
                organization_id,
                session.candidate_id,
                AuditAction.report_exported,
                actor,
                session_id=session.id,
                format=kind,
                results=len(sources),
            )
    return out


def _export(
    organization_id: str, request: ReportExportRequest, sources: list[ResultSource], *, base_url: str
) -> PdfExportOut | HtmlExportOut | JsonExportOut:
    features = request.export_features_result
    language = features.mojito_language_code
    charge = charge_translations(organization_id, sources, language)  # before any work is done
    if request.export_type is ExportType.pdf:
        pdf = report_pdf(organization_id, sources, features, base_url=base_url, charge=charge)
        session_ids = [source.session.id for source in sources]
        return _stored_pdf(organization_id, pdf, session_ids, sources[0].session.number, keep=request.store_file)
    parts = parts_for(organization_id, sources, language, charge)
    report_language = language or common_language(sources)
    if request.export_type is ExportType.html:
        if len(parts) == 1:
            part = parts[0]
            html = result_document(
                part.source, features=features, language=part.language, base_url=base_url, note=part.note
            )
        else:
            html = combined_html(
                [part.source for part in parts],
                features=features,
                language=report_language,
                base_url=base_url,
                notes=[part.note for part in parts],
            )
        return _fits(HtmlExportOut(html_export=html))
    export: dict[str, object] = {
        "results": [
            json_result(part.source, features=features, language=part.language, base_url=base_url, note=part.note)
            for part in parts
        ]
    }
    if len(parts) > 1:
        export["table"] = overview_table_html([part.source for part in parts], language=report_language)
    return _fits(JsonExportOut(json_export=export))


def _fits(out: HtmlExportOut | JsonExportOut) -> HtmlExportOut | JsonExportOut:
    if len(json.dumps(out.model_dump()).encode()) > MAX_INLINE_BYTES:
        raise Unprocessable(
            "This export is larger than a response can carry; export fewer results or use export_type pdf",
            field="interview_result_ids",
        )
    return out


def _stored_pdf(organization_id: str, pdf: bytes, session_ids: list[str], number: int, *, keep: bool) -> PdfExportOut:
    """The PDF in the bucket and a presigned GET valid for LINK_LIFETIME.

    store_file keeps it under reports/exports/ (the organization's files, kept until deleted); otherwise
    it goes to exports/, which the bucket's lifecycle empties after 7 days. Either way it is indexed under
    each session it holds first (`reports.store.record_export`): erasing any of its candidates deletes it.
    """
    count = len(session_ids)
    filename = f"report-{number}.pdf" if count == 1 else f"report-{count}-results.pdf"
    folder = "reports/exports" if keep else "exports/reports"
    export_id, made = new_id(), now()
    key = f"{folder}/{organization_id}/{export_id}/{filename}"
    store.record_export(
        store.StoredExport(organization_id, export_id, key, tuple(session_ids)),
        created_at=made,
        expires_at=None if keep else made + timedelta(days=EXPIRING_FOLDER_DAYS),
    )
    disposition = f'inline; filename="{filename}"'
    s3, bucket = aws.client("s3"), get_settings().bucket
    s3.put_object(Bucket=bucket, Key=key, Body=pdf, ContentType="application/pdf", ContentDisposition=disposition)
    valid_until = now() + LINK_LIFETIME
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(LINK_LIFETIME.total_seconds())
    )
    return PdfExportOut(pdf_export_url=str(url), pdf_export_valid_until=valid_until)
