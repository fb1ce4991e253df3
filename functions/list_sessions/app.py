from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.models.sessions import SessionListed, SessionStatus
from panelist.sessions.store import SessionSort, SortOrder, list_sessions
from panelist.sessions.views import listed_sessions

app = relay.resolver()
SessionList = relay.listing_model("SessionList", "sessions", SessionListed)

Day = Annotated[date | None, Query(description="ISO 8601 date (YYYY-MM-DD, UTC), included")]
Id = Annotated[str | None, Query(min_length=1, max_length=100)]


@app.get("/api/sessions")
def get(
    campaign_id: Id = None,
    status: Annotated[SessionStatus | None, Query()] = None,
    start_date: Day = None,
    end_date: Day = None,
    interview_id: Annotated[str | None, Query(min_length=1, max_length=100, description="The interview's UUID")] = None,
    candidate_id: Id = None,
    min_score: Annotated[int | None, Query(ge=0, le=100, description="Analysed sessions scoring at least this")] = None,
    sort: Annotated[SessionSort | None, Query(description="date (default) or score (analysed sessions only)")] = None,
    order: Annotated[SortOrder | None, Query(description="By date asc by default; by score desc by default")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> SessionList:
    sessions, total = list_sessions(
        app.tenant,
        campaign_id=campaign_id,
        status=status,
        start_date=start_date,
        end_date=end_date,
        interview_id=interview_id,
        candidate_id=candidate_id,
        min_score=min_score,
        sort=sort,
        order=order,
        offset=offset,
        limit=limit,
    )
    listed = listed_sessions(app.tenant, sessions)
    return SessionList.model_validate(relay.listing("sessions", listed, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
