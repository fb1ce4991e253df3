"""JobMojito `POST /job-interview-pdf`: a report of one or up to 50 results as PDF, HTML or JSON."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool

from panelist.models.common import Input, TimestampMs
from panelist.models.reports import MAX_RESULTS, ExportType, ReportFeatures


class ReportExportRequest(Input):
    interview_result_id: UUID | None = None
    interview_result_ids: list[UUID] | None = Field(default=None, max_length=MAX_RESULTS)
    export_type: ExportType
    export_features_result: ReportFeatures = Field(default_factory=ReportFeatures)
    store_file: StrictBool = Field(default=False, description="pdf only: keep the file in the organization's storage")


class PdfExportOut(BaseModel):
    pdf_export_url: str
    pdf_export_valid_until: TimestampMs


class HtmlExportOut(BaseModel):
    html_export: str


class JsonExportOut(BaseModel):
    json_export: dict[str, Any]
