from panelist.api import relay
from panelist.billing import credits

app = relay.resolver(relay.Access.operator)


@app.get("/api/admin/credits/summary")
def get() -> dict:
    # The platform-admin key (the operator) sees every organization; an organization's admin key sees
    # the organization and its sub-merchants.
    principal = app.principal
    return credits.summary(None if principal.is_platform_admin else principal.organization_id)


handler = relay.lambda_handler(app)
