"""The interview itself: a candidate starts a session, answers the questions in order, and finishes.

A session token (JWT, audience `interview-session`, claims `org` and `ses`) is the credential of every
request after the start; it rides in the URL path, so no cookie is needed. It lives for the interview's
duration plus TOKEN_GRACE and is not renewed: the session ends at its time limit anyway, and the invite
link hands out a fresh one while the session is in progress (a candidate who lost the tab comes back).

Where the candidate is follows from the transcript alone: the last turn is always the interviewer's
question being asked (`speaker` "ai" with its `question_id`); it is a follow-up when that question already
has its main answer. Each answer appends the candidate's turn, its Answer and the next question (or the one
follow-up) in one conditional write on the number of turns, which is also the form's nonce: a form
submitted twice, or from a stale tab, writes nothing.

Inactive sessions are found without a Scan: every in-progress session started here has an item in the one
ACTIVE_PK partition, sorted by its last activity (`updated_at`), moved in the transaction of each answer and
deleted when it finishes. The hourly sweep queries the part older than INACTIVE_AFTER and abandons those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from panelist.candidates.campaigns import open_invite
from panelist.candidates.store import add_candidate_file, file_key, get_campaign, get_candidate
from panelist.compliance.notice import consented_version, page_language
from panelist.core import aws, times
from panelist.core.errors import BadRequest, Conflict, NotFound, PanelistError, PayloadTooLarge
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.signing import link_claims, sign
from panelist.core.storage import ConditionFailed, Item
from panelist.interviews import ai
from panelist.interviews.store import get_interview, interview_for
from panelist.models.campaigns import CampaignStatus, Invite, InviteStatus
from panelist.models.candidates import Candidate, CandidateFile, FileType
from panelist.models.common import new_id, now
from panelist.models.interviews import Interview, InterviewStatus, Question
from panelist.models.sessions import Answer, Session, SessionStatus, Turn
from panelist.reports import i18n
from panelist.sessions import store, transcription
from panelist.sessions.lifecycle import finish_session, save_new_session
from panelist.sessions.page_language import choose as choose_language
from panelist.sessions.page_language import greeting as greeting_line
from panelist.sessions.page_language import localized_follow_up
from panelist.sessions.store import get_session

AUDIENCE = "interview-session"
TOKEN_GRACE = timedelta(hours=1)  # a token outlives the interview's time limit by this much
ANSWER_GRACE = timedelta(minutes=2)  # an answer sent this long after the time limit still counts
INACTIVE_AFTER = timedelta(minutes=30)  # the sweep abandons a session with no answer for this long
MAX_ANSWER_CHARS = 10_000
MAX_NAME_CHARS = 200
# Uploads: browser-based POSTs straight to the bucket (see create_upload). The page asks for one right before it
# sends the file, so its policy is short-lived. An answer's recording (by default 128 kbit/s Opus or AAC in
# the browsers' recorders, about 1 MB a minute) fits 25 MiB for over 20 minutes, uncompressed WAV for 4 minutes.
UPLOAD_SECONDS = 300
UPLOAD_PREFIX = "uploads/"  # unattached uploads: the bucket's lifecycle (template.yaml) expires them after a day
MAX_AUDIO_BYTES = 25 * 1024 * 1024
MAX_RESUME_BYTES = 5 * 1024 * 1024
RECORDINGS_PER_ANSWER = 3  # each answer (and each follow-up's) may be recorded again twice
RESUME_UPLOADS = 3
AUDIO_TYPES = {
    "audio/webm": "webm",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
}
RESUME_TYPES = {"application/pdf": "pdf"}
MAX_SIGNAL_DELTA = 100  # most tab switches or pastes one report adds
_INVALID = "this interview link is not valid; it may be incomplete or mistyped"
_EXPIRED = "this interview link has expired"


# ------------------------------------------------------------------ tokens


def session_token(session: Session, interview: Interview) -> str:
    """The credential of a session's pages, valid for the interview's duration plus TOKEN_GRACE."""
    ttl = timedelta(minutes=interview.duration_minutes) + TOKEN_GRACE
    token, _ = sign({"org": session.organization_id, "ses": session.id}, audience=AUDIENCE, ttl=ttl)
    return token


def session_path(token: str, action: str = "") -> str:
    return f"/interview/session/{token}" + (f"/{action}" if action else "")


@dataclass(frozen=True)
class Opened:
    """A session and its interview, opened through a session token."""

    session: Session
    interview: Interview

    @property
    def deadline(self) -> datetime:
        return self.session.started_at + timedelta(minutes=self.interview.duration_minutes)


def open_session(token: str) -> Opened:
    """The session a token names: Forbidden (403) when forged or foreign, Gone (410) once expired."""
    claims = link_claims(token, audience=AUDIENCE, required=("org", "ses"), expired=_EXPIRED, invalid=_INVALID)
    try:
        session = get_session(claims["org"], claims["ses"])
        interview = interview_for(session)
    except NotFound:
        raise NotFound("this interview no longer exists", field="token") from None
    return Opened(session, interview)


# ------------------------------------------------------------------ where the candidate is


@dataclass(frozen=True)
class Step:
    """The question being asked: its place in the interview, its text and when it was asked."""

    question: Question
    number: int  # 1-based place in the interview
    total: int
    prompt: str
    follow_up: bool
    asked_at: float  # seconds since the session started
    nonce: str  # the number of turns so far: changes with every answer


def current_step(session: Session, interview: Interview) -> Step | None:
    """The question the candidate is answering, or None when nothing is asked (all answered)."""
    last = session.turns[-1] if session.turns else None
    if last is None or last.speaker != "ai" or not last.question_id:
        return None
    positions = {q.id: n for n, q in enumerate(interview.questions)}
    if last.question_id not in positions:
        return None
    question = interview.questions[positions[last.question_id]]
    answered = any(a.question_id == question.id and not a.follow_up for a in session.answers)
    return Step(
        question=question,
        number=positions[question.id] + 1,
        total=len(interview.questions),
        prompt=last.text,
        follow_up=answered,
        asked_at=last.timestamp,
        nonce=str(len(session.turns)),
    )


def _next_question(session: Session, interview: Interview, after: Question) -> Question | None:
    answered = {a.question_id for a in session.answers if not a.follow_up} | {after.id}
    return next((q for q in interview.questions if q.id not in answered), None)


def _seconds(session: Session, at: datetime) -> float:
    return round(max(0.0, (at - session.started_at).total_seconds()), 3)


# ------------------------------------------------------------------ starting


@dataclass(frozen=True)
class Started:
    session: Session
    interview: Interview
    token: str


def start_session(
    organization_id: str,
    interview_id: str,
    candidate: Candidate,
    *,
    consented: bool,
    campaign_id: str | None = None,
    invite_id: str | None = None,
    at: datetime | None = None,
    new_candidate: bool = False,
    notice_version: Any = None,
    notice_language: str | None = None,
    language: Any = None,
) -> Started:
    """Start an in-progress session of an interview for a stored candidate, asking its first question.

    Callable from any start form (an invite link, an interview-for-profile link). Needs the candidate's
    consent (BadRequest), an interview with questions (Conflict); save_new_session refuses a used (409)
    or expired (410) invite and a balance that cannot pay (402). With `new_candidate` the candidate is not
    stored yet: it is, with the session, or not at all. `notice_version`: the AI notice version the start form
    showed (panelist.compliance.notice: NoticeChanged, 409, when the organization changed it since).
    """
    if not consented:
        raise BadRequest("please agree to take part before you start", field="consent", expected="on")
    interview = get_interview(organization_id, interview_id)
    if interview.status is InterviewStatus.archived:
        raise Conflict("this interview is archived: it starts no new sessions", field="interview_id")
    if not interview.questions:
        raise Conflict("this interview has no questions yet", field="interview_id")
    consent_version = consented_version(organization_id, notice_version)
    at = at or now()
    first = interview.questions[0]
    # The session's language: the interview's, or one of its candidate_languages the start form chose (`lang`).
    offered = getattr(interview, "candidate_languages", [])
    chosen = choose_language(interview.language, offered, language or notice_language)
    session_language = interview.language if chosen == i18n.language(interview.language).code else chosen
    greeting = greeting_line(chosen, candidate.name, interview.role)
    session = Session(
        id=new_id(),
        number=0,
        organization_id=organization_id,
        interview_id=interview.id,
        interview_version=interview.version,
        candidate_id=candidate.id,
        campaign_id=campaign_id,
        invite_id=invite_id,
        participant_email=candidate.email,
        status=SessionStatus.in_progress,
        language=session_language,
        turns=[
            Turn(timestamp=0, speaker="ai", text=greeting),
            Turn(timestamp=0, speaker="ai", text=first.prompt, question_id=first.id),
        ],
        started_at=at,
        consented_at=at,
        consent_notice_version=consent_version,
        consent_language=page_language(interview, notice_language),
        updated_at=at,
    )
    # The index item first: a session that exists is always found by the sweep; an item left without
    # a session (the save refused) is removed by the next sweep.
    store.commit([store.active_put_op(session, at)])
    try:
        session = save_new_session(session, new_candidate=candidate if new_candidate else None)
    except Exception:
        store.commit([store.active_delete_op(session.id, at)])
        raise
    logger.info("interview session started", extra={"session_id": session.id})
    return Started(session, interview, session_token(session, interview))


def invite_context(invite: Invite) -> dict[str, Any]:
    """What the invite page shows besides the interview: the start form, or a way back into the session."""
    context: dict[str, Any] = {"name_required": invite.candidate_id is None, "continue_url": None, "finished": False}
    if invite.status is InviteStatus.completed:
        context["finished"] = True
    elif invite.status is InviteStatus.started and invite.session_id:
        try:
            session = get_session(invite.organization_id, invite.session_id)
            interview = interview_for(session)
        except NotFound:
            return context
        if session.status is SessionStatus.in_progress:
            context["continue_url"] = session_path(session_token(session, interview))
        else:
            context["finished"] = True
    return context


def start_from_invite(token: str, form: dict[str, Any]) -> Started:
    """POST /interview/{token}/start: consent, and a name when the invite's candidate is unknown."""
    invite = open_invite(token)
    campaign = get_campaign(invite.organization_id, invite.campaign_id)
    if campaign.status is not CampaignStatus.active:
        raise Conflict(f"this interview is closed (the campaign is {campaign.status.value})", field="token")
    consented = str(form.get("consent") or "").lower() in ("on", "yes", "true", "1")
    if not consented:
        raise BadRequest("please agree to take part before you start", field="consent", expected="on")
    if invite.candidate_id:
        candidate = get_candidate(invite.organization_id, invite.candidate_id)
    else:
        name = " ".join(str(form.get("name") or "").split())
        if not name:
            raise BadRequest("please tell us your name", field="name", expected="your full name")
        if len(name) > MAX_NAME_CHARS:
            raise BadRequest("that name is too long", field="name", expected=f"at most {MAX_NAME_CHARS} characters")
        candidate = Candidate(
            id=new_id(), organization_id=invite.organization_id, name=name, email=invite.email, created_at=now()
        )
    return start_session(
        invite.organization_id,
        campaign.script_id,
        candidate,
        consented=True,
        campaign_id=campaign.id,
        invite_id=invite.id,
        new_candidate=invite.candidate_id is None,  # stored with the session that claims the invite, or not at all
        notice_version=form.get("notice_version"),
        notice_language=str(form.get("lang") or "") or None,  # the page's language, as its form posts it
    )


# ------------------------------------------------------------------ answering


def finish(opened: Opened, status: SessionStatus, *, at: datetime | None = None) -> Session:
    """End the session (idempotent), drop it from the active index, and queue the analysis of a completed one
    once its audio answers are transcribed (else the last transcription to finish queues it)."""
    session = opened.session
    try:
        analysed_next = status is SessionStatus.completed  # the analysis queues the render with its results
        finished = finish_session(session.organization_id, session.id, status, at=at, analysed_next=analysed_next)
    except Conflict:
        finished = get_session(session.organization_id, session.id)  # finished the other way meanwhile
    store.commit([store.active_delete_op(session.id, session.updated_at)])
    if finished.status is SessionStatus.completed and session.status is SessionStatus.in_progress:
        transcription.analyse_when_transcribed(finished.organization_id, finished.id)
    return finished


def past_time_limit(opened: Opened, at: datetime) -> bool:
    return at >= opened.deadline


def check_time(opened: Opened, at: datetime | None = None) -> Opened:
    """The session as it is now: completed first when its time limit has passed."""
    at = at or now()
    if opened.session.status is SessionStatus.in_progress and past_time_limit(opened, at):
        return Opened(finish(opened, SessionStatus.completed, at=at), opened.interview)
    return opened


def follow_up_for(question: Question, answer_text: str) -> ai.FollowUp | None:
    """The AI interviewer's follow-up to a thin answer (with who decided it), or None. A model failure never
    blocks the interview: the provider falls back to the offline engine and records it."""
    try:
        decision = ai.provider().follow_up_decision(question, answer_text)
    except Exception:
        logger.exception("follow-up not asked", extra={"question_id": question.id})
        return None
    return decision if decision.question and decision.question.strip() else None


@dataclass(frozen=True)
class AnswerForm:
    question_id: str
    nonce: str
    text: str
    audio_key: str | None = None
    tab_switches: int = 0  # integrity signals the page counted since its last report, sent with the answer
    pastes: int = 0

    @classmethod
    def of(cls, form: dict[str, Any]) -> AnswerForm:
        return cls(
            question_id=str(form.get("question_id") or ""),
            nonce=str(form.get("nonce") or ""),
            text=str(form.get("answer") or "").strip(),
            audio_key=str(form.get("audio_key") or "") or None,
            tab_switches=_count(form.get("tab_switches")),
            pastes=_count(form.get("pastes")),
        )


def _count(value: Any) -> int:
    """A signal count from a form field: 0 for anything that is not a small whole number."""
    text = str(value or "0").strip()
    return min(int(text), MAX_SIGNAL_DELTA) if text.isdigit() else 0


class WrongQuestion(Conflict):
    """An answer to another question than the one being asked."""


def _audio_prefix(session: Session) -> str:
    return f"orgs/{session.organization_id}/sessions/{session.id}/audio/"


def submit_answer(opened: Opened, form: AnswerForm, *, at: datetime | None = None) -> Opened:
    """Record the answer to the question being asked, then ask the next one, a follow-up, or finish.

    A stale nonce (the form sent twice, an old tab) records nothing; an answer to another question is a
    WrongQuestion (409). Past the time limit plus ANSWER_GRACE the answer is not recorded and the session
    completes; within it the answer counts and the session completes after it.
    """
    at = at or now()
    session, interview = opened.session, opened.interview
    if session.status is not SessionStatus.in_progress:
        return opened
    if at >= opened.deadline + ANSWER_GRACE:
        return check_time(opened, at)
    step = current_step(session, interview)
    if step is None:
        return Opened(finish(opened, SessionStatus.completed, at=at), interview)
    if form.nonce != step.nonce:
        if form.nonce.isdigit() and int(form.nonce) < int(step.nonce):
            return opened  # already recorded: a double submit
        raise WrongQuestion("this form is out of date", field="nonce")
    if form.question_id != step.question.id:
        raise WrongQuestion("that answer is for another question than the one being asked", field="question_id")
    if not form.text and not form.audio_key:
        raise BadRequest("please write an answer (or record one) before you continue", field="answer")
    if len(form.text) > MAX_ANSWER_CHARS:
        raise BadRequest("that answer is too long", field="answer", expected=f"at most {MAX_ANSWER_CHARS} characters")
    audio_key = _attach_audio(opened, form.audio_key) if form.audio_key else None
    if isinstance(audio_key, Opened):
        return audio_key  # a concurrent submit of this answer won
    moment = _seconds(session, at)
    answer = Answer(
        question_id=step.question.id,
        text=form.text,
        started_at=step.asked_at,
        ended_at=moment,
        follow_up=step.follow_up,
        audio_key=audio_key,
        transcription=transcription.pending(at, session.language) if audio_key else None,
    )
    turns = [
        Turn(
            timestamp=moment,
            speaker="participant",
            text=form.text or transcription.AUDIO_PLACEHOLDER,
            question_id=step.question.id,
        )
    ]
    # A recording without typed text is not known yet (it is transcribed in the background): no follow-up to it.
    follow_up = None if step.follow_up or not form.text else follow_up_for(step.question, form.text)
    if follow_up and follow_up.question:
        turns.append(
            Turn(
                timestamp=moment,
                speaker="ai",
                text=localized_follow_up(follow_up.question.strip(), session.language),
                question_id=step.question.id,
                provenance=follow_up.provenance,
            )
        )
    elif following := _next_question(session, interview, step.question):
        turns.append(Turn(timestamp=moment, speaker="ai", text=following.prompt, question_id=following.id))
    try:
        store.append_answer(session, answer, turns, at, form.tab_switches, form.pastes)
    except ConditionFailed:
        return Opened(get_session(session.organization_id, session.id), interview)  # a concurrent submit won
    updated = session.model_copy(
        update={"turns": [*session.turns, *turns], "answers": [*session.answers, answer], "updated_at": at}
    )
    now_opened = Opened(updated, interview)
    if form.audio_key:
        _discard_upload(form.audio_key)
    asked = answer.transcription
    if audio_key and asked and not transcription.request_transcription(session.organization_id, session.id, audio_key):
        transcription.fail(
            session.organization_id,
            session.id,
            audio_key,
            "the transcription could not be queued",
            engine=asked.engine,
            language=asked.language,
        )
    if current_step(updated, interview) is None or past_time_limit(now_opened, at):
        return Opened(finish(now_opened, SessionStatus.completed, at=at), interview)
    return now_opened


# ------------------------------------------------------------------ uploads and signals


class UploadLimitReached(PanelistError):
    """The session has had all the uploads it may have (upload_limit)."""

    status, code = 429, "UPLOAD_LIMIT_REACHED"


@dataclass(frozen=True)
class _Kind:
    types: dict[str, str]  # accepted Content-Type -> file extension
    max_bytes: int
    refused: str  # what a refused type is told


_KINDS = {
    "audio": _Kind(AUDIO_TYPES, MAX_AUDIO_BYTES, "that audio format is not accepted"),
    "resume": _Kind(RESUME_TYPES, MAX_RESUME_BYTES, "a résumé must be a PDF"),
}
_UPLOAD = re.compile(r"(audio|resume)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([a-z0-9]+)")


def upload_limit(interview: Interview) -> int:
    """How many uploads a session may ask for: RECORDINGS_PER_ANSWER of each answer and follow-up, and a few résumés."""
    return RECORDINGS_PER_ANSWER * 2 * len(interview.questions) + RESUME_UPLOADS


def upload_prefix(organization_id: str, session_id: str) -> str:
    """Where a session's unattached uploads are (erased with the candidate, else expired by the lifecycle)."""
    return f"{UPLOAD_PREFIX}{organization_id}/{session_id}/"


def create_upload(opened: Opened, kind: str, content_type: str) -> dict[str, Any]:
    """A presigned POST (an S3 browser-based upload) of an answer's audio or the candidate's résumé (PDF).

    Its policy admits one object: a new key under the session's unattached uploads (UPLOAD_PREFIX), with the
    declared Content-Type, from 1 byte to the kind's maximum, for UPLOAD_SECONDS; S3 refuses any other
    (EntityTooLarge, AccessDenied). Each counts towards the session's upload_limit (UploadLimitReached, 429).
    The page posts `fields`, then the file, to `url`; attaching the upload (attach_resume, an answer's
    `audio_key`) copies it out of UPLOAD_PREFIX, where the bucket's lifecycle deletes what was never attached.
    """
    session = opened.session
    if session.status is not SessionStatus.in_progress:
        raise Conflict("this interview has ended", field="token")
    if kind not in _KINDS:
        raise BadRequest("kind must be audio or resume", field="kind", expected="audio or resume")
    accepted = _KINDS[kind]
    base_type = content_type.split(";")[0].strip().lower()
    if base_type not in accepted.types:
        raise BadRequest(accepted.refused, field="content_type", expected=", ".join(accepted.types))
    limit = upload_limit(opened.interview)
    try:
        count = store.count_upload(session, limit)
    except ConditionFailed:
        if get_session(session.organization_id, session.id).status is not SessionStatus.in_progress:
            raise Conflict("this interview has ended", field="token") from None
        raise UploadLimitReached(
            f"this interview allows at most {limit} uploads, and they have all been used",
            field="kind",
            expected=f"at most {limit} uploads per interview",
        ) from None
    key = f"{upload_prefix(session.organization_id, session.id)}{kind}-{new_id()}.{accepted.types[base_type]}"
    post = aws.client("s3").generate_presigned_post(
        get_settings().bucket,
        key,
        Fields={"Content-Type": base_type},
        Conditions=[{"Content-Type": base_type}, ["content-length-range", 1, accepted.max_bytes]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {
        "method": "POST",
        "url": str(post["url"]),
        "fields": dict(post["fields"]),
        "key": key,
        "content_type": base_type,
        "max_bytes": accepted.max_bytes,
        "expires_in": UPLOAD_SECONDS,
        "uploads_left": limit - count,
    }


def upload_origin() -> str:
    """Where the pages' uploads are posted: the bucket's origin (virtual-hosted on AWS, the endpoint locally).

    Read from a presigned POST's URL, as the browser gets it (signing one is local: no request is made).
    """
    url = urlsplit(str(aws.client("s3").generate_presigned_post(get_settings().bucket, UPLOAD_PREFIX)["url"]))
    return f"{url.scheme}://{url.netloc}"


def _upload_name(session: Session, key: str, kind: str, problem: BadRequest) -> str:
    """The file name (`<id>.<extension>`) of one of the session's uploads of `kind`; `problem` for any other key."""
    name = key.removeprefix(upload_prefix(session.organization_id, session.id))
    match = _UPLOAD.fullmatch(name) if name != key else None
    if match is None or match[1] != kind or match[3] not in _KINDS[kind].types.values():
        raise problem
    return f"{match[2]}.{match[3]}"


def _discard_upload(key: str) -> None:
    """Delete an attached upload's original; one left behind is the lifecycle rule's."""
    try:
        aws.client("s3").delete_object(Bucket=get_settings().bucket, Key=key)
    except ClientError:
        logger.warning("attached upload left for the lifecycle rule", extra={"key": key})


def _attach_audio(opened: Opened, key: str) -> str | Opened:
    """The answer's recording copied to the session's audio folder (its key there), before the answer is written.

    An upload that is not there is a BadRequest, unless a concurrent submit of the same answer won (it moved
    the recording): then the session as that submit left it.
    """
    session = opened.session
    name = _upload_name(
        session, key, "audio", BadRequest("that recording is not one of this interview's", field="audio_key")
    )
    attached, bucket = f"{_audio_prefix(session)}{name}", get_settings().bucket
    try:
        aws.client("s3").copy_object(Bucket=bucket, Key=attached, CopySource={"Bucket": bucket, "Key": key})
    except ClientError as exc:
        current = get_session(session.organization_id, session.id)
        if len(current.turns) != len(session.turns):
            return Opened(current, opened.interview)
        logger.warning("recording not attached", extra={"key": key, "error": exc.response["Error"].get("Code")})
        raise BadRequest(
            "that recording was not saved; please record it again or answer in writing", field="audio_key"
        ) from None
    return attached


def attach_resume(opened: Opened, key: str, name: str = "resume.pdf") -> CandidateFile:
    """Add one of the session's résumé uploads to the candidate's files: a PDF of at most MAX_RESUME_BYTES.

    The upload is copied to the candidate's folder (out of reach of the unattached uploads' lifecycle), then
    its original deleted. Attaching the same upload again answers the file attached the first time.
    """
    session = opened.session
    upload = _upload_name(
        session, key, "resume", BadRequest("that file is not one of this interview's uploads", field="key")
    )
    attached_key = file_key(session.organization_id, session.candidate_id, f"resume-{upload}")
    candidate = get_candidate(session.organization_id, session.candidate_id)
    if earlier := next((f for f in candidate.files if f.key == attached_key), None):
        return earlier
    s3, bucket = aws.client("s3"), get_settings().bucket
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        raise NotFound("the file has not been uploaded", field="key") from None
    if head.get("ContentType") != "application/pdf":
        raise BadRequest("a résumé must be a PDF", field="key", expected="application/pdf")
    if int(head.get("ContentLength", 0)) > MAX_RESUME_BYTES:  # the upload's policy refuses it: never here
        raise PayloadTooLarge(f"a résumé can be at most {MAX_RESUME_BYTES // (1024 * 1024)} MB", field="key")
    s3.copy_object(Bucket=bucket, Key=attached_key, CopySource={"Bucket": bucket, "Key": key})
    shown = re.sub(r"[^\w .()-]", "_", name)[:120] or "resume.pdf"
    attached = CandidateFile(
        type=FileType.resume, key=attached_key, name=shown, content_type="application/pdf", uploaded_at=now()
    )
    add_candidate_file(session.organization_id, session.candidate_id, attached)
    _discard_upload(key)
    return attached


def record_signals(opened: Opened, body: dict[str, Any]) -> None:
    """Add what the page observed (tab switches, pastes) to the session's integrity counters."""
    deltas = {}
    for name in ("tab_switches", "pastes"):
        value = body.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SIGNAL_DELTA:
            raise BadRequest(f"{name} must be a count", field=name, expected=f"an integer from 0 to {MAX_SIGNAL_DELTA}")
        deltas[name] = value
    if not any(deltas.values()) or opened.session.status is not SessionStatus.in_progress:
        return
    try:
        store.add_integrity_signals(opened.session, deltas["tab_switches"], deltas["pastes"])
    except ConditionFailed:
        return  # the session ended meanwhile


# ------------------------------------------------------------------ the abandonment sweep


def sweep(at: datetime | None = None, *, inactive_after: timedelta = INACTIVE_AFTER) -> list[str]:
    """Abandon every in-progress session without activity for `inactive_after`; the ids abandoned.

    Reads only the active-session index items older than the cutoff. An item whose session has finished
    (by any path) or moved on is removed.
    """
    at = at or now()
    cutoff = times.sortable(at - inactive_after)
    abandoned: list[str] = []
    cursor: str | None = None
    while True:
        page = store.active_sessions(cursor)
        stale = [item for item in page.items if str(item["SK"]) < cutoff]
        for item in stale:
            if _sweep_one(item, at, at - inactive_after):
                abandoned.append(str(item["session_id"]))
        if len(stale) < len(page.items) or not page.cursor:
            return abandoned
        cursor = page.cursor


def _sweep_one(item: Item, at: datetime, cutoff: datetime) -> bool:
    organization_id, session_id = str(item["organization_id"]), str(item["session_id"])
    try:
        session = get_session(organization_id, session_id)
        interview = interview_for(session)
    except NotFound:
        store.forget_active(str(item["SK"]))
        return False
    if session.status is not SessionStatus.in_progress:
        store.forget_active(str(item["SK"]))
        return False
    if store.active_sk(session.id, session.updated_at) != item["SK"]:
        store.forget_active(str(item["SK"]))  # the session was active since: a newer item stands for it
        if session.updated_at > cutoff:
            return False
    finish(Opened(session, interview), SessionStatus.abandoned, at=at)
    store.forget_active(str(item["SK"]))
    logger.info("inactive session abandoned", extra={"session_id": session_id})
    return True


def has_resume(session: Session) -> bool:
    try:
        candidate = get_candidate(session.organization_id, session.candidate_id)
    except NotFound:
        return False
    return any(f.type is FileType.resume for f in candidate.files)


__all__ = [
    "AUDIENCE",
    "AnswerForm",
    "Opened",
    "Started",
    "Step",
    "UploadLimitReached",
    "WrongQuestion",
    "attach_resume",
    "check_time",
    "create_upload",
    "current_step",
    "finish",
    "invite_context",
    "open_session",
    "record_signals",
    "session_path",
    "session_token",
    "start_from_invite",
    "start_session",
    "submit_answer",
    "sweep",
    "upload_limit",
    "upload_origin",
]
