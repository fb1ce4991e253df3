from panelist.api import relay
from panelist.compliance.self_identification import record_from_api
from panelist.models.impact import SelfIdentificationIn, SelfIdentificationOut

app = relay.resolver(relay.Access.admin)


@app.put("/api/sessions/<id>/self-identification")
def put(id: str, body: SelfIdentificationIn) -> SelfIdentificationOut:
    return record_from_api(app.principal, id, body)


handler = relay.lambda_handler(app)
