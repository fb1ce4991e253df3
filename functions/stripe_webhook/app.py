from panelist.api import relay
from panelist.billing import stripe
from panelist.models.billing import StripeWebhookOut

# No authorizer: the Stripe-Signature over the body is the credential. Counted per source IP, as the public pages.
app = relay.resolver(relay.Access.public)


@app.post("/api/billing/stripe/webhook")
def post() -> StripeWebhookOut:
    # The signature covers the bytes Stripe sent: checked on those, before the event is read.
    return stripe.receive(app.raw_body, app.current_event.headers.get(stripe.SIGNATURE_HEADER))


handler = relay.lambda_handler(app)
