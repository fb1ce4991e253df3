from aws_lambda_powertools.event_handler import Response

from panelist.api import jobmojito
from panelist.sessions import candidate_pages

app = jobmojito.resolver(jobmojito.Access.public)


@app.get("/interview/position/<interview_id>/results")
def get(interview_id: str) -> Response[str]:
    event = app.current_event
    return candidate_pages.position_results_page(
        interview_id,
        event.get_query_string_value(candidate_pages.TOKEN_PARAM),
        base_url=app.base_url(),
        sort=event.get_query_string_value("sort"),
        order=event.get_query_string_value("order"),
    )


handler = jobmojito.lambda_handler(app)
