from aws_lambda_powertools.event_handler import Response

from panelist.api import jobmojito
from panelist.sessions import candidate_pages

app = jobmojito.resolver(jobmojito.Access.public)


@app.get("/interview/take/<interview_id>/")
def get(interview_id: str) -> Response[str]:
    token = app.current_event.get_query_string_value(candidate_pages.TOKEN_PARAM)
    return candidate_pages.take_page(interview_id, token, base_url=app.base_url())


handler = jobmojito.lambda_handler(app)
