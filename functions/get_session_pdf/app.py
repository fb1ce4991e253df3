from aws_lambda_powertools.event_handler import Response

from panelist.api import relay
from panelist.reports.transcript import transcript_download

app = relay.resolver()


# No return annotation: the validating resolver would serialize an annotated body as JSON, and this one is a PDF.
@app.get("/api/session/<id>/pdf")
def get(id: str):
    download = transcript_download(app.tenant, id)
    if download.location:  # too large for a Lambda response: a presigned link to the stored copy
        return Response(status_code=302, headers={"Location": download.location}, body="")
    return Response(
        status_code=200,
        content_type=download.content_type,
        body=download.content,
        headers={"Content-Disposition": download.disposition},
    )


handler = relay.lambda_handler(app)
