from panelist.api import relay
from panelist.candidates import erasure

app = relay.resolver(relay.Access.admin)


@app.delete("/api/candidates/<id>")
def delete(id: str) -> erasure.ErasureOut:
    return erasure.summary(erasure.erase_candidate(app.tenant, id, app.principal))


handler = relay.lambda_handler(app)
