from panelist.api import relay
from panelist.compliance.explanations import create_explanation
from panelist.models.reviews import ExplanationOut, ExplanationRequest

app = relay.resolver()


@app.post("/api/sessions/<id>/explanation")
def post(id: str, body: ExplanationRequest | None = None) -> tuple[ExplanationOut, int]:
    return create_explanation(app.principal, id, body or ExplanationRequest(), base_url=app.base_url()), 201


handler = relay.lambda_handler(app)
