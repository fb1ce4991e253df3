from panelist.api import relay
from panelist.candidates.profiles import create_candidate
from panelist.models.candidates import CandidateCreate, CandidateOut

app = relay.resolver()


@app.post("/api/candidates")
def post(body: CandidateCreate) -> tuple[CandidateOut, int]:
    return CandidateOut.of(create_candidate(app.tenant, body)), 201


handler = relay.lambda_handler(app)
