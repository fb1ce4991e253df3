from panelist.api import relay
from panelist.reports.transcript import transcript_download

app = relay.resolver()


# No return annotation: the validating resolver would serialize an annotated body as JSON, and this one is a PDF.
@app.get("/api/session/<id>/pdf")
def get(id: str):
    return transcript_download(app.tenant, id).response()


handler = relay.lambda_handler(app)
