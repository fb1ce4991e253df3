from panelist.api import relay
from panelist.api.relay import Limit, Offset
from panelist.compliance.reviews import list_reviews
from panelist.models.reviews import ReviewOut

app = relay.resolver()
ReviewList = relay.listing_model("ReviewList", "reviews", ReviewOut)


@app.get("/api/sessions/<id>/reviews")
def get(id: str, limit: Limit = 50, offset: Offset = 0) -> ReviewList:
    reviews, total = list_reviews(app.tenant, id, offset=offset, limit=limit)
    items = [ReviewOut.of(r) for r in reviews]
    return ReviewList.model_validate(relay.listing("reviews", items, total=total, limit=limit, offset=offset))


handler = relay.lambda_handler(app)
