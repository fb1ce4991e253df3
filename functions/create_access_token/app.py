from panelist.api import jobmojito
from panelist.api.auth import issue_access_token
from panelist.models.organizations import AccessTokenOut, AccessTokenRequest

app = jobmojito.resolver()


@app.post("/auth/token")
def post(body: AccessTokenRequest | None = None) -> AccessTokenOut:
    return issue_access_token(app.principal, (body or AccessTokenRequest()).expires_in)


handler = jobmojito.lambda_handler(app)
