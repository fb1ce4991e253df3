from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.sessions import candidate_pages, pages

app = pages.resolver()


@app.post("/interview/take/<interview_id>/")
def post(interview_id: str) -> Response[str]:
    token = app.current_event.get_query_string_value(candidate_pages.TOKEN_PARAM)
    form = pages.body(app)
    return candidate_pages.start_from_profile(interview_id, token, form, base_url=app.base_url())


handler = relay.lambda_handler(app)
