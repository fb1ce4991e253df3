from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from panelist.api import relay
from panelist.billing import credits

app = relay.resolver()

Day = Annotated[date | None, Query(description="ISO 8601 date (YYYY-MM-DD, UTC), included")]


@app.get("/api/billing/usage")
def get(start_date: Day = None, end_date: Day = None) -> dict:
    return credits.usage(app.tenant, start_date, end_date)


handler = relay.lambda_handler(app)
