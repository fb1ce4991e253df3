from panelist.api import relay
from panelist.candidates.profiles import get_candidate
from panelist.models.candidates import CandidateOut

app = relay.resolver()


@app.get("/api/candidates/<id>")
def get(id: str) -> CandidateOut:
    return CandidateOut.of(get_candidate(app.tenant, id))


handler = relay.lambda_handler(app)
