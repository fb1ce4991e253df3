from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.sessions import SessionStatus, SessionSummary
from panelist.sessions.store import list_sessions

app = relay.resolver()

Day = Annotated[date | None, Query(description="ISO 8601 date (YYYY-MM-DD, UTC), included")]


@app.get("/api/sessions")
def get(
    campaign_id: Annotated[str | None, Query(min_length=1)] = None,
    status: Annotated[SessionStatus | None, Query()] = None,
    start_date: Day = None,
    end_date: Day = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    sessions, total = list_sessions(
        app.tenant,
        campaign_id=campaign_id,
        status=status,
        start_date=start_date,
        end_date=end_date,
        offset=offset,
        limit=limit,
    )
    return relay.listing("sessions", [SessionSummary.of(s) for s in sessions], total=total, limit=limit, offset=offset)


handler = relay.lambda_handler(app)
