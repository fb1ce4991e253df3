from panelist.api import relay
from panelist.compliance.settings import hiring_settings, settings_out
from panelist.models.compliance import HiringSettingsOut

app = relay.resolver()


@app.get("/api/organization/settings")
def get() -> HiringSettingsOut:
    return settings_out(hiring_settings(app.tenant))


handler = relay.lambda_handler(app)
