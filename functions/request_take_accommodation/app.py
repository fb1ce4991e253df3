from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.compliance import accommodation_pages
from panelist.sessions import candidate_pages, pages

app = pages.resolver()


@app.post("/interview/take/<interview_id>/accommodation")
def post(interview_id: str) -> Response[str]:
    token = app.current_event.get_query_string_value(candidate_pages.TOKEN_PARAM)
    return accommodation_pages.from_take_link(interview_id, token, pages.body(app))


handler = relay.lambda_handler(app)
