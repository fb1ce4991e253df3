from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.sessions import candidate_pages, pages

app = pages.resolver()


# The route is /interview/take/{interview_id}; the seed's links end with a slash, which the $default route
# answers with a 308 to the route (HTTP API route keys cannot end with a slash). Both are served here all the same.
@app.post("/interview/take/<interview_id>")
@app.post("/interview/take/<interview_id>/")
def post(interview_id: str) -> Response[str]:
    token = app.current_event.get_query_string_value(candidate_pages.TOKEN_PARAM)
    form = pages.body(app)
    return candidate_pages.start_from_profile(interview_id, token, form, base_url=app.base_url())


handler = relay.lambda_handler(app)
