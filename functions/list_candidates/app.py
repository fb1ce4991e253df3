from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.candidates.profiles import list_candidates
from panelist.models.candidates import EXTERNAL_ID_MAX_LENGTH, CandidateOut

app = relay.resolver()
CandidateList = relay.listing_model("CandidateList", "candidates", CandidateOut)


@app.get("/api/candidates")
def get(
    email: Annotated[str | None, Query(min_length=3, max_length=254, description="Exact address, any case")] = None,
    external_id: Annotated[
        str | None, Query(min_length=1, max_length=EXTERNAL_ID_MAX_LENGTH, description="Exact external id")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CandidateList:
    candidates, total = list_candidates(app.tenant, email=email, external_id=external_id, offset=offset, limit=limit)
    items = [CandidateOut.of(c) for c in candidates]
    return CandidateList.model_validate(relay.listing("candidates", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
