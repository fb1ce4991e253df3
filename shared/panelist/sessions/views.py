"""What the InterviewRelay routes show of a session: its detail, its scored result, its transcript, a link to its
audio, and the session list with every item's ids and scoring."""

from __future__ import annotations

from collections.abc import Sequence

from panelist.candidates.store import get_candidates
from panelist.compliance.settings import hiring_settings
from panelist.core import aws
from panelist.core.errors import NotFound
from panelist.core.settings import get_settings
from panelist.interviews.ai.model import bucket_of
from panelist.interviews.store import get_interviews
from panelist.models.candidates import Candidate
from panelist.models.interviews import Interview
from panelist.models.sessions import (
    Answer,
    AnswerResult,
    AssessmentResult,
    Criteria,
    Evidence,
    EvidenceStatus,
    ReviewState,
    ReviewStatus,
    Session,
    SessionConsent,
    SessionDetail,
    SessionListed,
    SessionResult,
    SessionSummary,
    TranscriptOut,
    TranscriptTurn,
)
from panelist.sessions.store import get_session


def _listed(
    session: Session, candidate: Candidate | None, interview: Interview | None, *, review_required: bool
) -> SessionListed:
    score = session.overall_score
    return SessionListed(
        **SessionSummary.of(session).model_dump(),
        candidate_id=session.candidate_id,
        external_id=candidate.external_id if candidate and not candidate.erased_at else None,
        interview_id=session.interview_id,
        ai_interview_id=interview.number if interview else None,
        overall_score=score,
        bucket=None if score is None else bucket_of(score),
        analysis_status=session.analysis_status,
        review=ReviewState.of(session, required=review_required),
    )


def _review_required(organization_id: str) -> bool:
    """The organization's human review gate (`panelist.compliance.settings`): one read per request."""
    return hiring_settings(organization_id).human_review_required


def listed_sessions(organization_id: str, sessions: Sequence[Session]) -> list[SessionListed]:
    """A page of sessions as the list shows them: its candidates and interviews read with one BatchGetItem each."""
    candidates = get_candidates(organization_id, [s.candidate_id for s in sessions]) if sessions else {}
    interviews = get_interviews(organization_id, [s.interview_id for s in sessions]) if sessions else {}
    required = _review_required(organization_id) if sessions else False
    return [
        _listed(s, candidates.get(s.candidate_id), interviews.get(s.interview_id), review_required=required)
        for s in sessions
    ]


def session_detail(organization_id: str, session_id: str, *, base_url: str) -> SessionDetail:
    session = get_session(organization_id, session_id)
    candidate = get_candidates(organization_id, [session.candidate_id]).get(session.candidate_id)
    interview = get_interviews(organization_id, [session.interview_id]).get(session.interview_id)
    listed = _listed(session, candidate, interview, review_required=_review_required(organization_id))
    email = None if candidate is None or candidate.erased_at else candidate.email
    links = f"{base_url}/api/session/{session.id}"
    return SessionDetail(
        **listed.model_dump(exclude={"participant_email"}),
        participant_email=email,
        transcript_url=f"{links}/transcript",
        audio_url=f"{links}/audio" if session.audio_key else None,
        consent=SessionConsent(
            at=session.consented_at,
            notice_version=session.consent_notice_version,
            language=session.consent_language,
        )
        if session.consented_at
        else None,
    )


CRITERIA_WORDS = (("partly", "partly covered"), ("met", "covered"), ("missed", "missed"))
QUOTE_MARK = " \u2014 "  # `Covered: <criterion> — "<quote>"`


def criteria(reasons: Sequence[str], evidence: Sequence[Evidence] = ()) -> Criteria:
    """The criteria covered, partly covered or missed: from the analysis's evidence when it has some, else
    from reasons naming them: `Covered: <criterion>` (the offline evaluator, with an optional ` — "<quote>"`)
    or `<criterion>: covered` (the demo's, older model answers); other reasons are left out."""
    if evidence:
        return Criteria(**{s.value: [e.criterion for e in evidence if e.status is s] for s in EvidenceStatus})
    found: dict[str, list[str]] = {name: [] for name, _ in CRITERIA_WORDS}
    for reason in reasons:
        head, _, tail = reason.split(QUOTE_MARK)[0].partition(": ")
        for name, word in CRITERIA_WORDS:
            if head.strip().lower() == word and tail.strip():
                found[name].append(tail.strip())
                break
            if tail.strip().rstrip(".").lower() == word and head.strip():
                found[name].append(head.strip())
                break
    return Criteria(**found)


def _answer(answer: Answer, interview: Interview | None) -> AnswerResult:
    numbers = {q.id: (n, q) for n, q in enumerate(interview.questions, 1)} if interview else {}
    number, question = numbers.get(answer.question_id, (None, None))
    analysis = answer.analysis
    return AnswerResult(
        question_id=answer.question_id,
        question_number=number,
        question=question.prompt if question else None,
        skill=question.skill if question else None,
        follow_up=answer.follow_up,
        answer=answer.text,
        started_at=answer.started_at,
        ended_at=answer.ended_at,
        score=analysis.score if analysis else None,
        bucket=analysis.bucket if analysis else None,
        summary=analysis.summary if analysis else None,
        reasons=list(analysis.reasons) if analysis else [],
        criteria=criteria(analysis.reasons, analysis.evidence) if analysis else criteria([]),
        evidence=list(analysis.evidence) if analysis else [],
        provenance=analysis.provenance if analysis else None,
        speech=answer.speech,
    )


def session_result(organization_id: str, session_id: str) -> SessionResult:
    """The scored result of a session (NotFound for an unknown or another organization's id).

    A session not yet analysed (in progress, or waiting for its analysis) or whose analysis failed is a
    result too: `analysis_status` says which, its scores are null and its answers carry no evaluation.
    """
    session = get_session(organization_id, session_id)
    candidate = get_candidates(organization_id, [session.candidate_id]).get(session.candidate_id)
    interview = get_interviews(organization_id, [session.interview_id]).get(session.interview_id)
    listed = _listed(session, candidate, interview, review_required=_review_required(organization_id))
    assessment = session.assessment
    return SessionResult(
        session_id=session.id,
        response_id=session.number,
        status=session.status,
        analysis_status=session.analysis_status,
        analysis_error=session.analysis_error,
        candidate_id=session.candidate_id,
        external_id=listed.external_id,
        interview_id=session.interview_id,
        ai_interview_id=listed.ai_interview_id,
        role=interview.role if interview else None,
        language=session.language,
        started_at=session.started_at,
        completed_at=session.completed_at,
        duration_minutes=session.duration_minutes,
        overall_score=listed.overall_score,
        bucket=listed.bucket,
        assessment=None
        if assessment is None
        else AssessmentResult(
            overall_score=assessment.score,
            bucket=bucket_of(assessment.score),
            overall=assessment.overall,
            resume_analysis=assessment.resume_analysis,
            why_hire=assessment.why_hire,
            why_not_hire=assessment.why_not_hire,
            provenance=assessment.provenance,
        ),
        answers=[_answer(a, interview) for a in session.answers],
        integrity=session.integrity,
        review=listed.review,
        advisory=listed.review is not None and listed.review.status is ReviewStatus.pending,
    )


def transcript(organization_id: str, session_id: str) -> TranscriptOut:
    session = get_session(organization_id, session_id)
    return TranscriptOut(
        session_id=session.id,
        started_at=session.started_at,
        completed_at=session.completed_at,
        turns=[TranscriptTurn.model_validate(t.model_dump()) for t in session.turns],
    )


AUDIO_LINK_SECONDS = 900


def audio_link(organization_id: str, session_id: str) -> str:
    """A presigned GET of the session's audio, valid for 15 minutes; NotFound when it has none."""
    session = get_session(organization_id, session_id)
    if not session.audio_key:
        raise NotFound("this session has no audio recording", field="id")
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": get_settings().bucket, "Key": session.audio_key},
            ExpiresIn=AUDIO_LINK_SECONDS,
        )
    )
