from panelist.api import relay
from panelist.candidates.profiles import update_candidate
from panelist.models.candidates import CandidateOut, CandidateUpdate

app = relay.resolver()


@app.patch("/api/candidates/<id>")
def patch(id: str, body: CandidateUpdate) -> CandidateOut:
    return CandidateOut.of(update_candidate(app.tenant, id, body))


handler = relay.lambda_handler(app)
