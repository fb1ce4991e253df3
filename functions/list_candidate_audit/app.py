from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.compliance.audit import list_for_candidate
from panelist.models.compliance import AuditEntryOut

app = relay.resolver(relay.Access.admin)
AuditEntryList = relay.listing_model("AuditEntryList", "entries", AuditEntryOut)


@app.get("/api/candidates/<id>/audit")
def get(id: str, limit: Limit = 50, offset: Offset = 0) -> AuditEntryList:
    entries, total = list_for_candidate(app.tenant, id, offset=offset, limit=limit)
    items = [AuditEntryOut.model_validate(e, from_attributes=True) for e in entries]
    return AuditEntryList.model_validate(relay.listing("entries", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
