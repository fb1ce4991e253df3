from aws_lambda_powertools.event_handler import Response

from panelist.api import jobmojito
from panelist.sessions import candidate_pages

app = jobmojito.resolver(jobmojito.Access.public)


@app.get("/interview/profile/<profile_id>/results")
def get(profile_id: str) -> Response[str]:
    token = app.current_event.get_query_string_value(candidate_pages.TOKEN_PARAM)
    return candidate_pages.profile_results_page(profile_id, token, base_url=app.base_url())


handler = jobmojito.lambda_handler(app)
