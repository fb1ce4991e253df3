"""The candidate's interview pages (server-rendered, usable without JavaScript) over panelist.sessions.flow.

Forms post `application/x-www-form-urlencoded`; PageResolver hands their fields on as a JSON object, so
the routes read `app.current_event.json_body` whichever way the page was sent. Every error is a plain
page (403 forged or foreign token, 410 expired, 409 another question), never JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from markupsafe import Markup

from panelist.api import pages, relay
from panelist.api.resolver import MAX_BODY_BYTES, Access, PanelistResolver
from panelist.compliance.notice import NoticeChanged
from panelist.core.errors import BadRequest, PanelistError
from panelist.models.common import now
from panelist.models.sessions import SessionStatus
from panelist.reports import i18n
from panelist.sessions import flow, page_language, voice
from panelist.sessions.flow import AnswerForm, Opened, WrongQuestion

FORM = "application/x-www-form-urlencoded"


def form_as_json(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """A form post's event with its fields as a JSON object body (the last value of a repeated field)."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if not str(headers.get("content-type", "")).lower().startswith(FORM) or not event.get("body"):
        return event
    raw = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else str(event["body"]).encode()
    if len(raw) > MAX_BODY_BYTES:
        return event  # refused as too large by the resolver
    fields = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return {**event, "body": json.dumps(fields), "isBase64Encoded": False}


class PageResolver(PanelistResolver):
    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        return super().resolve(form_as_json(event), context)


def resolver() -> PageResolver:
    return PageResolver(relay.SURFACE, Access.public)


def body(app: PanelistResolver) -> dict[str, Any]:
    parsed = app.current_event.json_body if app.current_event.body else {}
    return parsed if isinstance(parsed, dict) else {}


def see_other(location: str) -> Response[str]:
    headers = {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return Response(status_code=303, content_type=pages.HTML, body="", headers=headers)


def _opened(
    token: str, handle: Callable[[Opened], Response[Any]], requested: page_language.Requested | None = None
) -> Response[Any]:
    try:
        opened = flow.open_session(token)
    except PanelistError as exc:
        asked = requested or page_language.Requested()
        return pages.link_error(exc, language=page_language.without_interview(asked.lang, asked.accept_language))
    return handle(opened)


def session_language(opened: Opened) -> str:
    """The language of a session's pages: the one it started in (one of the 34; else English)."""
    return i18n.language(opened.session.language).code


# ------------------------------------------------------------------ pages


def start(token: str, form: dict[str, Any]) -> Response[str]:
    """POST /interview/{token}/start: a new session, then its first question (303)."""
    try:
        started = flow.start_from_invite(token, form)
    except (BadRequest, NoticeChanged) as exc:
        return pages.invite(token, problem=exc, form=form)
    except PanelistError as exc:
        return pages.error(exc, language=page_language.without_interview(form.get("lang")))
    return see_other(flow.session_path(started.token))


def _minutes_left(opened: Opened, at: datetime) -> int:
    return max(0, int((opened.deadline - at).total_seconds() // 60))


def question_page(
    token: str, opened: Opened, *, status: int = 200, problem: PanelistError | None = None, draft: str = ""
) -> Response[str]:
    at = now()
    opened = flow.check_time(opened, at)
    session, interview = opened.session, opened.interview
    step = flow.current_step(session, interview) if session.status is SessionStatus.in_progress else None
    if step is None:
        if session.status is SessionStatus.in_progress:
            opened = Opened(flow.finish(opened, SessionStatus.completed, at=at), interview)
        return done_page(opened, token=token)
    spoken = voice.voice_for(interview.language) is not None  # Polly's recording of each question, else the browser's
    code = session_language(opened)
    minutes_left = _minutes_left(opened, at)
    time_left = Markup('<time id="time-left" datetime="{}">{}</time>').format(
        opened.deadline.isoformat(), i18n.format_minutes(minutes_left, code)
    )
    catalog = i18n.page_translations(code)
    resume_size = catalog.gettext("%(size)s MB") % {"size": i18n.format_number(flow.MAX_RESUME_BYTES // 1048576, code)}
    # A question reads in the interview's language; a follow-up of the offline interviewer in the session's.
    prompt_lang = code if step.follow_up and code != i18n.language(interview.language).code else interview.language
    return pages.render(
        "session.html.j2",
        status,
        language=code,
        time_left_html=time_left,
        resume_size=resume_size,
        prompt_lang=prompt_lang,
        connect_to=[flow.upload_origin()],  # its script posts recordings and résumés to the bucket
        media_from=[flow.upload_origin()] if spoken else [],  # and plays the question's recording from it
        interview=interview,
        session=session,
        step=step,
        minutes_left=minutes_left,
        deadline=opened.deadline,
        problem=problem,
        draft=draft,
        answer_url=flow.session_path(token, "answer"),
        uploads_url=flow.session_path(token, "uploads"),
        upload_limits={"audio": flow.MAX_AUDIO_BYTES, "resume": flow.MAX_RESUME_BYTES},
        resume_url=flow.session_path(token, "resume"),
        signals_url=flow.session_path(token, "signals"),
        voice_url=flow.session_path(token, "voice") if spoken else None,
        needs_resume=step.number == 1 and not step.follow_up and not flow.has_resume(session),
    )


def done_page(opened: Opened, *, token: str | None = None, status: int = 200, **extra: Any) -> Response[str]:
    """The end of the interview; with the session's `token`, a completed one also offers the voluntary
    self-identification form (`_self_identification.html.j2`, panelist.compliance.self_identification: `extra`)."""
    session = opened.session
    completed = session.status is SessionStatus.completed
    return pages.render(
        "session_done.html.j2",
        status,
        language=session_language(opened),
        interview=opened.interview,
        completed=completed,
        answered=len({a.question_id for a in session.answers}),
        total=len(opened.interview.questions),
        self_identification_url=flow.session_path(token, "self-identification") if token and completed else None,
        **extra,
    )


def session_page(token: str, requested: page_language.Requested | None = None) -> Response[str]:
    """GET /interview/session/{token}: where the candidate is (the same question after a reload), in the
    session's language (`requested` only names the language of the page of a link that does not work)."""
    return _opened(token, lambda opened: question_page(token, opened), requested)


def answer(token: str, form: dict[str, Any]) -> Response[str]:
    """POST .../answer: record it and go on (303 to the session page), or show the page again saying why."""

    def handle(opened: Opened) -> Response[str]:
        submitted = AnswerForm.of(form)
        try:
            flow.submit_answer(opened, submitted)
        except WrongQuestion as exc:
            fresh = flow.open_session(token)
            return question_page(token, fresh, status=409, problem=exc)
        except BadRequest as exc:
            return question_page(token, opened, status=400, problem=exc, draft=submitted.text)
        return see_other(flow.session_path(token))

    return _opened(token, handle)


# ------------------------------------------------------------------ JSON helpers of the page's script


def _json(status: int, payload: Any) -> Response[str]:
    return Response(status, content_types.APPLICATION_JSON, json.dumps(payload), {"Cache-Control": "no-store"})


def _json_error(exc: PanelistError) -> Response[str]:
    return _json(exc.status, relay.SURFACE.error_body(exc))


def _script_call(token: str, work: Callable[[Opened], Response[str]]) -> Response[str]:
    try:
        opened = flow.open_session(token)
        return work(opened)
    except PanelistError as exc:
        return _json_error(exc)


def upload(token: str, request: dict[str, Any]) -> Response[str]:
    """POST .../uploads {kind: audio|resume, content_type}: a presigned POST to send the file with (201).

    `{method: "POST", url, fields, key, content_type, max_bytes, expires_in, uploads_left}`: the page posts a
    multipart form of `fields` then the file (last) to `url`, and sends `key` on (the answer's `audio_key`,
    or `POST .../resume`). A session past its upload_limit gets 429 UPLOAD_LIMIT_REACHED.
    """
    return _script_call(
        token,
        lambda opened: _json(
            201,
            flow.create_upload(opened, str(request.get("kind") or ""), str(request.get("content_type") or "")),
        ),
    )


def resume(token: str, request: dict[str, Any]) -> Response[str]:
    """POST .../resume {key, name}: attach an uploaded résumé to the candidate (201)."""

    def work(opened: Opened) -> Response[str]:
        key = request.get("key")
        if not isinstance(key, str) or not key:
            raise BadRequest("key is required", field="key", expected="the key of the upload")
        attached = flow.attach_resume(opened, key, str(request.get("name") or "resume.pdf"))
        return _json(201, {"key": attached.key, "name": attached.name, "type": attached.type.value})

    return _script_call(token, work)


def question_voice(token: str) -> Response[str]:
    """GET .../voice: a presigned GET of the question being asked, spoken by Amazon Polly (200; `url` null where
    the deployment has no voice for the interview's language: the page uses the browser's speech)."""
    return _script_call(token, lambda opened: _json(200, voice.question_audio(opened)))


def signals(token: str, request: dict[str, Any]) -> Response[str]:
    """POST .../signals {tab_switches, pastes}: counts since the last post, added to the session (204)."""

    def work(opened: Opened) -> Response[str]:
        flow.record_signals(opened, request)
        return Response(204, content_types.APPLICATION_JSON, "", {"Cache-Control": "no-store"})

    return _script_call(token, work)


__all__ = ["answer", "body", "question_voice", "resolver", "resume", "session_page", "signals", "start", "upload"]
