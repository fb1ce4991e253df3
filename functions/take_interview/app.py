from aws_lambda_powertools.event_handler import Response

from panelist.api import jobmojito
from panelist.sessions import candidate_pages

app = jobmojito.resolver(jobmojito.Access.public)


# The route is /interview/take/{interview_id}; the seed's links end with a slash, which the $default route
# answers with a 308 to the route (HTTP API route keys cannot end with a slash). Both are served here all the same.
@app.get("/interview/take/<interview_id>")
@app.get("/interview/take/<interview_id>/")
def get(interview_id: str) -> Response[str]:
    token = app.current_event.get_query_string_value(candidate_pages.TOKEN_PARAM)
    lang = app.current_event.get_query_string_value("lang")
    accept = app.current_event.headers.get("accept-language")
    return candidate_pages.take_page(interview_id, token, base_url=app.base_url(), lang=lang, accept_language=accept)


handler = jobmojito.lambda_handler(app)
