from panelist.api import relay
from panelist.compliance.reviews import review_session
from panelist.models.reviews import ReviewOut, ReviewRequest

app = relay.resolver()


@app.post("/api/sessions/<id>/review")
def post(id: str, body: ReviewRequest) -> tuple[ReviewOut, int]:
    return ReviewOut.of(review_session(app.principal, id, body)), 201


handler = relay.lambda_handler(app)
