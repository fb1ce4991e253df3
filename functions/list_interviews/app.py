from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.interviews.catalog import list_interviews
from panelist.models.interviews import InterviewListItem, InterviewStatus

app = relay.resolver()
InterviewList = relay.listing_model("InterviewList", "interviews", InterviewListItem)


@app.get("/api/interviews")
def get(
    project_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    status: Annotated[InterviewStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> InterviewList:
    interviews, total = list_interviews(app.tenant, project_id=project_id, status=status, offset=offset, limit=limit)
    items = [InterviewListItem.of(i) for i in interviews]
    return InterviewList.model_validate(relay.listing("interviews", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
