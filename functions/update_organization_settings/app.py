from panelist.api import relay
from panelist.compliance.settings import settings_out, update_hiring_settings
from panelist.models.compliance import HiringSettingsOut, HiringSettingsUpdate

app = relay.resolver(relay.Access.admin)


@app.patch("/api/organization/settings")
def patch(body: HiringSettingsUpdate) -> HiringSettingsOut:
    return settings_out(update_hiring_settings(app.principal, body))


handler = relay.lambda_handler(app)
