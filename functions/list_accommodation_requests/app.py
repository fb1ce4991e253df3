from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.compliance.accommodations import list_requests
from panelist.models.accommodations import AccommodationRequestOut, AccommodationStatus

app = relay.resolver()
AccommodationRequestList = relay.listing_model("AccommodationRequestList", "requests", AccommodationRequestOut)


@app.get("/api/accommodation-requests")
def get(
    status: Annotated[AccommodationStatus | None, Query()] = None,
    interview_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AccommodationRequestList:
    found, total = list_requests(app.tenant, interview_id=interview_id, status=status, offset=offset, limit=limit)
    items = [AccommodationRequestOut.of(r) for r in found]
    return AccommodationRequestList.model_validate(
        relay.listing("requests", items, total=total, limit=limit, offset=offset)
    )


handler = relay.lambda_handler(app)
