"""The report of one result (a session with its interview and candidate), as HTML for PDF and as JSON.

What it shows follows `ReportFeatures` (seed: JobMojito `export_features_result`): contact details, the AI
recruiter assessment (and its scoring rubric), speech analytics, the transcript of answers with their analysis,
the candidate's files and the recordings, in chronological order or grouped by the interview's questions.
Labels, dates and numbers are in the report's language; files and recordings are linked through
`panelist.reports.links` (never a presigned URL). An erased candidate's personal data never appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_timedelta

from panelist.candidates.store import get_candidate
from panelist.core import times
from panelist.core.errors import NotFound
from panelist.interviews.ai.model import answered_questions, bucket_of, overall_score, question_scores
from panelist.interviews.store import interview_for
from panelist.models.candidates import Candidate, FileType
from panelist.models.interviews import Interview, Question
from panelist.models.reports import DEFAULT_FEATURES, ReportFeatures
from panelist.models.sessions import Answer, Provenance, Session, SessionStatus
from panelist.reports import i18n, links
from panelist.reports.chart import Bar, score_chart
from panelist.reports.html import Formats, Report, Section, elapsed, render_document, render_fragment
from panelist.sessions.store import get_session

ERASED = "erased"
STATUS_LABELS = {
    SessionStatus.completed: "Completed",
    SessionStatus.in_progress: "In progress",
    SessionStatus.abandoned: "Abandoned",
}
BUCKET_LABELS = {"strong": "Strong", "moderate": "Moderate", "weak": "Weak"}
SENTIMENT_LABELS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}


@dataclass(frozen=True)
class ResultSource:
    """Everything a result's report is made of; the interview or the candidate may be gone."""

    session: Session
    interview: Interview | None
    candidate: Candidate | None


@dataclass(frozen=True)
class TranslationNote:
    """How the content (answers, analysis) came to be in the report's language."""

    source_language: str  # the content's language (a JobMojito or session language code)
    machine_translated: bool


def load_result(organization_id: str, session_id: str) -> ResultSource:
    """The session (NotFound for another organization's), its interview and candidate when they still exist."""
    session = get_session(organization_id, session_id)
    try:
        interview: Interview | None = interview_for(session)
    except NotFound:
        interview = None
    try:
        candidate: Candidate | None = get_candidate(organization_id, session.candidate_id)
    except NotFound:
        candidate = None
    return ResultSource(session, interview, candidate)


# --- what a result is made of, in one language -------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else times.iso_seconds(moment)


@dataclass(frozen=True)
class Item:
    """One question of the report's answer list with its answers (none: not reached)."""

    number: int | None  # 1-based position in the interview; None for an answer to an unknown question
    question: Question | None
    answers: Sequence[Answer]


@dataclass
class _Result:
    """A source seen in one language with one set of toggles: the values both the PDF and the JSON use."""

    source: ResultSource
    features: ReportFeatures
    code: str
    base_url: str
    within: links.ShareScope | None = None  # a shared page's links expire with the share
    _: Callable[[str], str] = field(init=False)
    fmt: Formats = field(init=False)

    def __post_init__(self) -> None:
        self.code = i18n.language(self.code).code
        self._ = i18n.translations(self.code).gettext
        self.fmt = Formats(self.code)

    @property
    def session(self) -> Session:
        return self.source.session

    @property
    def candidate(self) -> Candidate | None:
        return self.source.candidate

    @property
    def erased(self) -> bool:
        return self.candidate is not None and self.candidate.erased_at is not None

    @property
    def name(self) -> str | None:
        if self.candidate is None:
            return None
        return ERASED if self.erased else self.candidate.name

    @property
    def heading(self) -> str:
        if self.erased:
            return self._("Erased candidate")
        return self.name or self._("Not available")

    def clean(self, text: str) -> str:
        """Free text with an erased candidate's name, email and phone taken out."""
        if not self.erased or self.candidate is None:
            return text
        candidate = self.candidate
        needles = [candidate.email, candidate.phone or "", candidate.name, *candidate.name.split()]
        for needle in sorted({n for n in needles if len(n) >= 2}, key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(needle)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
        return text

    @property
    def questions(self) -> list[Question]:
        return list(self.source.interview.questions) if self.source.interview else []

    def number_of(self, question_id: str) -> int | None:
        for index, question in enumerate(self.questions, 1):
            if question.id == question_id:
                return index
        return None

    def question(self, question_id: str) -> Question | None:
        number = self.number_of(question_id)
        return None if number is None else self.questions[number - 1]

    def items(self) -> list[Item]:
        """Chronological (answers by start, follow-ups where they happened), or grouped by the interview's questions
        in its order, with the questions never reached."""
        answers = sorted(self.session.answers, key=lambda a: a.started_at)
        if not self.features.group_by_question or not self.questions:
            return [Item(self.number_of(a.question_id), self.question(a.question_id), [a]) for a in answers]
        known = {q.id for q in self.questions}
        grouped = [
            Item(number, question, [a for a in answers if a.question_id == question.id])
            for number, question in enumerate(self.questions, 1)
        ]
        return grouped + [Item(None, None, [a]) for a in answers if a.question_id not in known]

    def answered(self) -> int:
        """The interview's questions answered: a follow-up is part of its question, never one more."""
        if self.questions:
            return answered_questions(self.questions, self.session.answers)
        return len({a.question_id for a in self.session.answers})

    def score(self) -> float | None:
        """The overall score: the assessment's, else the same computation (`ai.overall_score`) on the answers."""
        if self.session.assessment is not None:
            return self.session.assessment.score
        interview = self.source.interview
        return overall_score(interview.skills if interview else (), self.questions, self.session.answers)

    def scored_by(self, provenance: Provenance | None) -> dict[str, str] | None:
        """Who scored it, in the report's language: engine, rubric version, date, and any fallback."""
        if provenance is None:
            return None
        text = self._("Scored by %(engine)s, rubric %(version)s, %(date)s") % {
            "engine": provenance.engine,
            "version": provenance.rubric_version,
            "date": self.fmt.datetime(provenance.produced_at),
        }
        fallback = ""
        if provenance.fallback_from:
            fallback = self._("Fallback from %(engine)s") % {"engine": provenance.fallback_from}
            if provenance.fallback_reason:
                fallback += f": {provenance.fallback_reason}"
        return {"text": text, "fallback": fallback}

    def measured(self, value: float | None, show: Callable[[float], str]) -> str:
        return self._("Not measured") if value is None else show(value)

    def number(self, value: float) -> str:
        return self.fmt.number(value, 0 if float(value).is_integer() else 1)

    def question_label(self, number: int | None) -> str:
        return self._("Question %(number)s") % {"number": number} if number else self._("Answer")

    def link(self, kind: str, page: int | None = None) -> tuple[str, datetime]:
        return links.file_link(
            self.session.organization_id, self.session.id, kind, base_url=self.base_url, page=page, within=self.within
        )

    def files(self) -> list[dict[str, Any]]:
        """The resume's and cover letter's pages, then the recordings, as the toggles and the data allow."""
        if self.erased:
            return []
        entries: list[dict[str, Any]] = []
        if self.features.files and self.candidate is not None:
            for kind in (FileType.resume, FileType.cover_letter):
                for file in (f for f in self.candidate.files if f.type is kind):
                    for page in range(1, file.pages + 1) if file.pages else [None]:
                        url, expires = self.link(kind.value, page)
                        entries.append({"type": kind.value, "page": page, "page_signed": url, "expires_at": expires})
        if self.features.session_recording:
            if self.session.recording_key or self.session.audio_key:
                url, expires = self.link("session_recording")
                entries.append({"type": "session_recording", "page": None, "page_signed": url, "expires_at": expires})
            if self.session.intro_video_key:
                url, expires = self.link("video_introduction")
                entries.append({"type": "video_introduction", "page": None, "page_signed": url, "expires_at": expires})
        if self.features.answer_recording:
            for item in self.items():
                for answer in item.answers:
                    if answer.audio_key:
                        url, expires = self.link(f"answer:{answer.question_id}")
                        entries.append(
                            {
                                "type": "answer_recording",
                                "page": None,
                                "page_signed": url,
                                "expires_at": expires,
                                "question_id": answer.question_id,
                                "number": item.number,
                                "follow_up": answer.follow_up,
                            }
                        )
        return entries


# --- the PDF's sections --------------------------------------------------------------------------------------


def _summary(r: _Result) -> Section:
    _, session, interview = r._, r.session, r.source.interview
    score = r.score()
    end = session.completed_at or session.updated_at
    length = format_timedelta(
        max(timedelta(0), end - session.started_at), threshold=2, format="short", locale=i18n.language(r.code).locale
    )
    facts = [
        (_("Interview"), interview.name if interview else _("Not available")),
        (_("Status"), None),
        (_("Role"), interview.role if interview else _("Not available")),
        (_("Response ID"), str(session.number)),
        (_("Started"), r.fmt.datetime(session.started_at)),
        (_("Completed"), r.fmt.datetime(session.completed_at) or _("Not completed")),
        (_("Duration"), length),
        (_("Language"), i18n.language_name(session.language, r.code)),
        (
            _("Questions answered"),
            _("%(answered)s of %(total)s")
            % {"answered": r.fmt.number(r.answered()), "total": r.fmt.number(len(r.questions) or r.answered())},
        ),
        (
            _("Integrity"),
            f"{_('Tab switches')}: {r.fmt.number(session.integrity.tab_switches)} \u00b7 "
            f"{_('Pastes')}: {r.fmt.number(session.integrity.pastes)}",
        ),
    ]
    return Section(
        "result_summary",
        {
            "heading": r.heading,
            "erased": r.erased,
            "role": interview.role if interview else "",
            "interview": interview.name if interview else "",
            "status": _(STATUS_LABELS[session.status]),
            "status_key": session.status.value,
            "score": None if score is None else r.number(score),
            "score_ratio": None if score is None else score / 100,
            "facts": [{"label": label, "value": value} for label, value in facts],
            "result_id": session.id,
        },
    )


def _contact(r: _Result) -> Section:
    candidate = r.candidate
    rows: list[dict[str, str | None]] = []
    if candidate is not None and not r.erased:
        rows = [
            {"label": r._("Email"), "value": candidate.email, "href": f"mailto:{candidate.email}"},
            {"label": r._("Phone"), "value": candidate.phone, "href": None},
            {"label": r._("LinkedIn"), "value": candidate.linkedin_url, "href": candidate.linkedin_url},
            {"label": r._("Address"), "value": candidate.address, "href": None},
        ]
        for row in rows:
            href = row["href"]
            if href and not href.startswith(("https://", "http://", "mailto:")):
                row["href"] = None
    return Section("contact", {"erased": r.erased, "missing": candidate is None, "rows": rows})


def _chart(r: _Result) -> Section | None:
    """One bar per answered question, in the interview's order: the question's score (`ai.question_scores`: its
    best answer, a follow-up included), the scores the overall score is the weighted mean of."""
    scores = question_scores(r.session.answers)
    order = [q.id for q in r.questions if q.id in scores]
    order += [qid for qid in scores if qid not in order]
    bars = []
    for question_id in order:
        value = scores[question_id]
        label = r.question_label(r.number_of(question_id))
        bars.append(Bar(label, value, bucket_of(value).value, r.number(value)))
    if not bars:
        return None
    score = r.score()
    svg = score_chart(
        bars,
        overall=score,
        overall_label=f"{r._('Overall score')} {r.number(score)}" if score is not None else "",
        ticks=[r.fmt.number(v) for v in (0, 25, 50, 75, 100)],
        rtl=i18n.language(r.code).rtl,
        title=r._("Score by question"),
    )
    legend = [{"key": key, "label": r._(label)} for key, label in BUCKET_LABELS.items()]
    return Section("score_chart", {"svg": svg, "bars": len(bars), "legend": legend, "overall": score is not None})


def _assessment(r: _Result) -> Section:
    a = r.session.assessment
    data: dict[str, Any] = {"available": a is not None}
    if a is not None:
        data.update(
            score=r.number(a.score),
            resume_analysis="" if r.erased else r.clean(a.resume_analysis),
            overall=r.clean(a.overall),
            why_hire=[r.clean(x) for x in a.why_hire],
            why_not_hire=[r.clean(x) for x in a.why_not_hire],
            scored_by=r.scored_by(a.provenance),
        )
    return Section("assessment", data)


def _rubric(r: _Result) -> Section:
    return Section(
        "rubric",
        {
            "questions": [
                {
                    "label": r.question_label(number),
                    "prompt": q.prompt,
                    "skill": q.skill,
                    "criteria": list(q.evaluation_criteria),
                    "levels": [
                        {"key": "strong", "label": r._("Strong"), "text": q.expectations.strong},
                        {"key": "moderate", "label": r._("Moderate"), "text": q.expectations.moderate},
                        {"key": "weak", "label": r._("Weak"), "text": q.expectations.weak},
                    ],
                }
                for number, q in enumerate(r.questions, 1)
            ]
        },
    )


def _analytics(r: _Result) -> Section:
    rows = []
    for item in r.items():
        for answer in item.answers:
            if answer.speech is None:
                continue
            s = answer.speech
            rows.append(
                {
                    "label": r.question_label(item.number),
                    "follow_up": answer.follow_up,
                    "accuracy": r.measured(s.speech_accuracy, r.fmt.percent),
                    "fluency": r.measured(s.fluency, r.fmt.percent),
                    "confidence": r.measured(s.recognition_confidence, r.fmt.percent),
                    "sentiment": r._(SENTIMENT_LABELS[s.sentiment.value]),
                    "sentiment_key": s.sentiment.value,
                    "cadence": r.measured(
                        s.words_per_minute, lambda wpm: r._("%(wpm)s words per minute") % {"wpm": r.fmt.number(wpm)}
                    ),
                    "pauses": r.measured(None if s.pauses is None else float(s.pauses), r.number),
                }
            )
    return Section("analytics", {"rows": rows})


def _follow_up_fallback(r: _Result, answer: Answer) -> str:
    """For a follow-up answer: that the offline engine chose its question when the model failed, else ""."""
    if not answer.follow_up:
        return ""
    asked = [t for t in r.session.turns if t.speaker == "ai" and t.question_id == answer.question_id]
    decided = asked[1].provenance if len(asked) > 1 else None  # the question's prompt, then its follow-up
    shown = r.scored_by(decided) if decided and decided.fallback_from else None
    return shown["fallback"] if shown else ""


def _answer_view(r: _Result, answer: Answer) -> dict[str, Any]:
    analysis = answer.analysis
    return {
        "text": r.clean(answer.text),
        "follow_up": answer.follow_up,
        "follow_up_fallback": _follow_up_fallback(r, answer),
        "elapsed": elapsed(answer.started_at),
        "analysis": None
        if analysis is None
        else {
            "score": r.number(analysis.score),
            "bucket": analysis.bucket.value,
            "bucket_label": r._(BUCKET_LABELS[analysis.bucket.value]),
            "summary": r.clean(analysis.summary),
            "reasons": [r.clean(x) for x in analysis.reasons],
            "scored_by": r.scored_by(analysis.provenance),
        },
    }


def _transcript(r: _Result) -> Section:
    cards = [
        {
            "label": r.question_label(item.number),
            "prompt": item.question.prompt if item.question else "",
            "skill": item.question.skill if item.question else "",
            "answers": [_answer_view(r, a) for a in item.answers],
        }
        for item in r.items()
    ]
    return Section("answers", {"cards": cards})


def _expiry(r: _Result, entries: Sequence[Mapping[str, Any]]) -> str:
    if not entries:
        return ""
    return r._("Links in this report expire on %(date)s.") % {"date": r.fmt.date(min(e["expires_at"] for e in entries))}


def _files(r: _Result, entries: Sequence[Mapping[str, Any]]) -> Section:
    groups = []
    for kind, label in (("resume", r._("Resume")), ("cover_letter", r._("Cover letter"))):
        pages = [e for e in entries if e["type"] == kind]
        if pages:
            groups.append(
                {
                    "label": label,
                    "links": [
                        {
                            "label": r._("Page %(page)s") % {"page": r.fmt.number(e["page"])}
                            if e["page"]
                            else r._("Open file"),
                            "url": e["page_signed"],
                        }
                        for e in pages
                    ],
                }
            )
    return Section("files", {"groups": groups, "erased": r.erased, "expiry": _expiry(r, entries)})


def _recordings(r: _Result, entries: Sequence[Mapping[str, Any]]) -> Section:
    rows = []
    for e in entries:
        if e["type"] == "session_recording":
            rows.append(
                {"label": r._("Session recording"), "detail": "", "action": r._("Listen"), "url": e["page_signed"]}
            )
        elif e["type"] == "video_introduction":
            rows.append(
                {"label": r._("Video introduction"), "detail": "", "action": r._("Watch"), "url": e["page_signed"]}
            )
        elif e["type"] == "answer_recording":
            label = r.question_label(e["number"])
            detail = r._("Follow-up") if e["follow_up"] else r._("Answer recording")
            rows.append({"label": label, "detail": detail, "action": r._("Listen"), "url": e["page_signed"]})
    return Section("recordings", {"rows": rows, "erased": r.erased, "expiry": _expiry(r, entries)})


def _note(r: _Result, note: TranslationNote) -> Section:
    name = i18n.language_name(note.source_language, r.code)
    if note.machine_translated:
        text = r._("Translated from %(language)s by machine translation.") % {"language": name}
    else:
        text = r._(
            "Not translated: machine translation is not available here, so answers and analysis are shown in "
            "%(language)s."
        ) % {"language": name}
    return Section("translation_note", {"text": text, "machine_translated": note.machine_translated})


def _report(r: _Result, note: TranslationNote | None) -> Report:
    features = r.features
    entries = r.files()
    sections: list[Section] = [_summary(r)]
    if note is not None:
        sections.append(_note(r, note))
    if features.contact_details:
        sections.append(_contact(r))
    chart = _chart(r)
    if chart is not None:
        sections.append(chart)
    if features.ai_recruiter_assessment:
        sections.append(_assessment(r))
    if features.rubric_shown and r.questions:
        sections.append(_rubric(r))
    if features.analytics:
        sections.append(_analytics(r))
    if features.transcript:
        sections.append(_transcript(r))
    if features.files:
        sections.append(_files(r, [e for e in entries if e["type"] in ("resume", "cover_letter")]))
    if features.answer_recording or features.session_recording:
        recordings = [e for e in entries if e["type"] not in ("resume", "cover_letter")]
        sections.append(_recordings(r, recordings))
    interview = r.source.interview
    role = interview.role if interview else ""
    kind = r._("Interview report")
    return Report(
        title=" - ".join(part for part in (kind, r.heading, role) if part),
        kind=kind,
        running_left=r.heading,
        running_right=role or (interview.name if interview else r._("Interview")),
        sections=sections,
        language=r.code,
        content_language=note.source_language if note is not None and not note.machine_translated else None,
    )


def _code(source: ResultSource, language: str | None) -> str:
    return i18n.language(language or source.session.language).code


def result_report(
    source: ResultSource,
    *,
    features: ReportFeatures,
    language: str,
    base_url: str,
    note: TranslationNote | None = None,
    within: links.ShareScope | None = None,
) -> Report:
    """The sections of one result's report, as `features` asks, labelled in `language`."""
    return _report(_Result(source, features, _code(source, language), base_url, within), note)


def result_document(
    source: ResultSource,
    *,
    features: ReportFeatures,
    language: str,
    base_url: str,
    note: TranslationNote | None = None,
    within: links.ShareScope | None = None,
) -> str:
    """One result's report as an HTML document (what the pipeline renders to PDF)."""
    report = result_report(source, features=features, language=language, base_url=base_url, note=note, within=within)
    return render_document([report])


def result_html(
    organization_id: str,
    session_id: str,
    *,
    base_url: str,
    features: ReportFeatures = DEFAULT_FEATURES,
    language: str | None = None,
    within: links.ShareScope | None = None,
) -> str:
    """The whole report of one result as an HTML document (NotFound for another organization's session)."""
    source = load_result(organization_id, session_id)
    code = _code(source, language)
    return result_document(source, features=features, language=code, base_url=base_url, within=within)


# --- several results: the cover and its overview table -------------------------------------------------------


def _overview_rows(sources: Sequence[ResultSource], code: str) -> list[dict[str, Any]]:
    rows = []
    for source in sources:
        r = _Result(source, DEFAULT_FEATURES, code, "")
        score = r.score()
        interview = source.interview
        rows.append(
            {
                "candidate": r.heading,
                "erased": r.erased,
                "interview": interview.name if interview else r._("Not available"),
                "role": interview.role if interview else "",
                "status": r._(STATUS_LABELS[source.session.status]),
                "status_key": source.session.status.value,
                "score": None if score is None else r.number(score),
                "score_ratio": None if score is None else score / 100,
                "completed": r.fmt.date(source.session.completed_at) or r._("Not completed"),
                "response_id": source.session.number,
            }
        )
    return rows


def _cover(sources: Sequence[ResultSource], code: str) -> Report:
    _ = i18n.translations(code).gettext
    kind = _("Combined interview report")
    count = _("%(count)s results") % {"count": i18n.format_number(len(sources), code)}
    generated = datetime.now(UTC)
    return Report(
        title=kind,
        kind=kind,
        running_left=kind,
        running_right=count,
        sections=[
            Section("cover", {"count": count, "generated": generated}),
            Section("overview", {"rows": _overview_rows(sources, code)}),
        ],
        generated_at=generated,
        language=code,
    )


def cover_html(sources: Sequence[ResultSource], *, features: ReportFeatures, language: str) -> str:
    """The cover and overview table of a multi-result export, as its own document (merged in front of the PDFs)."""
    code = i18n.language(language).code
    return render_document([_cover(sources, code)])


def combined_html(
    sources: Sequence[ResultSource],
    *,
    features: ReportFeatures,
    language: str,
    base_url: str,
    notes: Sequence[TranslationNote | None] | None = None,
) -> str:
    """The cover and overview, then every result from a new page, as one HTML document."""
    code = i18n.language(language).code
    notes = list(notes) if notes is not None else [None] * len(sources)
    reports = [_cover(sources, code)] + [
        result_report(source, features=features, language=code, base_url=base_url, note=note)
        for source, note in zip(sources, notes, strict=True)
    ]
    return render_document(reports, title=reports[0].title)


def overview_table_html(sources: Sequence[ResultSource], *, language: str) -> str:
    """Just the overview table (the JSON export's `table`)."""
    code = i18n.language(language).code
    return render_fragment("sections/overview_table.html.j2", code, rows=_overview_rows(sources, code))


# --- JSON ----------------------------------------------------------------------------------------------------


def _provenance(provenance: Provenance | None) -> dict[str, Any] | None:
    return None if provenance is None else provenance.model_dump(mode="json")


def _json_answer(r: _Result, answer: Answer | None, item: Item) -> dict[str, Any]:
    question = item.question
    entry: dict[str, Any] = {
        "question_id": answer.question_id if answer else (question.id if question else None),
        "question_number": item.number,
        "question": question.prompt if question else None,
    }
    if answer is None:
        entry["reached"] = False
        return entry
    entry.update(reached=True, started_at=answer.started_at, ended_at=answer.ended_at, follow_up=answer.follow_up)
    if r.features.transcript:
        entry["answer"] = r.clean(answer.text)
        entry["analysis"] = (
            None
            if answer.analysis is None
            else {
                "score": answer.analysis.score,
                "bucket": answer.analysis.bucket.value,
                "summary": r.clean(answer.analysis.summary),
                "reasons": [r.clean(x) for x in answer.analysis.reasons],
                "evidence": [
                    {**e.model_dump(mode="json"), "quote": None if e.quote is None else r.clean(e.quote)}
                    for e in answer.analysis.evidence
                ],
                "provenance": _provenance(answer.analysis.provenance),
            }
        )
    if r.features.analytics:
        entry["speech"] = None if answer.speech is None else answer.speech.model_dump(mode="json")
    if r.features.answer_recording:
        entry["recording_url"] = (
            r.link(f"answer:{answer.question_id}")[0] if answer.audio_key and not r.erased else None
        )
    return entry


def json_result(
    source: ResultSource,
    *,
    features: ReportFeatures,
    language: str,
    base_url: str,
    note: TranslationNote | None = None,
) -> dict[str, Any]:
    """`{"data": {...}, "files": [{"type", "page", "page_signed"}, ...]}` with the same toggles as the PDF."""
    r = _Result(source, features, _code(source, language), base_url)
    session, interview, candidate = source.session, source.interview, source.candidate
    data: dict[str, Any] = {
        "interview_result_id": session.id,
        "response_id": session.number,
        "ai_interview_id": interview.number if interview else None,
        "interview": None
        if interview is None
        else {"id": interview.id, "name": interview.name, "role": interview.role},
        "status": session.status.value,
        "language": session.language,
        "report_language": r.code,
        "started_at": _iso(session.started_at),
        "completed_at": _iso(session.completed_at),
        "duration_minutes": session.duration_minutes,
        "score": r.score(),
        "questions_answered": r.answered(),
        "questions_total": len(r.questions),
    }
    person: dict[str, Any] = {"name": r.name, "erased": r.erased}
    if features.contact_details:
        shown = candidate if candidate is not None and not r.erased else None
        person.update(
            email=shown.email if shown else None,
            phone=shown.phone if shown else None,
            linkedin_url=shown.linkedin_url if shown else None,
            address=shown.address if shown else None,
        )
    data["candidate"] = person
    if features.ai_recruiter_assessment:
        a = session.assessment
        data["assessment"] = (
            None
            if a is None
            else {
                "score": a.score,
                "resume_analysis": None if r.erased else r.clean(a.resume_analysis),
                "overall": r.clean(a.overall),
                "why_hire": [r.clean(x) for x in a.why_hire],
                "why_not_hire": [r.clean(x) for x in a.why_not_hire],
                "provenance": _provenance(a.provenance),
            }
        )
        if features.rubric_shown:
            data["scoring_rubric"] = [
                {
                    "question_id": q.id,
                    "question_number": number,
                    "question": q.prompt,
                    "skill": q.skill,
                    "evaluation_criteria": list(q.evaluation_criteria),
                    "strong": q.expectations.strong,
                    "moderate": q.expectations.moderate,
                    "weak": q.expectations.weak,
                }
                for number, q in enumerate(r.questions, 1)
            ]
    data["answers"] = [
        _json_answer(r, answer, item) for item in r.items() for answer in ([*item.answers] if item.answers else [None])
    ]
    entries = r.files()
    if features.session_recording:
        recording = next((e for e in entries if e["type"] == "session_recording"), None)
        intro = next((e for e in entries if e["type"] == "video_introduction"), None)
        data["session_recording_url"] = recording["page_signed"] if recording else None
        data["video_introduction_url"] = intro["page_signed"] if intro else None
    data["integrity"] = session.integrity.model_dump(mode="json")
    if note is not None:
        data["translation"] = {"source_language": note.source_language, "machine_translated": note.machine_translated}
    if entries:
        data["links_expire_at"] = _iso(min(e["expires_at"] for e in entries))
    files = [{"type": e["type"], "page": e["page"], "page_signed": e["page_signed"]} for e in entries]
    return {"data": data, "files": files}
