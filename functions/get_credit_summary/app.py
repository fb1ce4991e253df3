from panelist.api import relay
from panelist.billing import summary
from panelist.models.billing import CreditSummary

app = relay.resolver(relay.Access.operator)


@app.get("/api/admin/credits/summary")
def get() -> CreditSummary:
    # The platform-admin key (the operator) sees every organization; an organization's admin key sees
    # the organization and its sub-merchants.
    principal = app.principal
    return summary.credit_summary(None if principal.is_platform_admin else principal.organization_id)


handler = relay.lambda_handler(app)
