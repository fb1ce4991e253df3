"""panelist.core.aws: one client per service for the process, and S3 links signed with SigV4."""

from urllib.parse import parse_qs, urlsplit

from panelist.core import aws


def test_a_service_has_one_client_and_s3_presigns_with_sigv4():
    aws.reset()
    s3 = aws.client("s3")
    assert aws.client("s3") is s3  # cached: no new client (and no new credential lookup) per link
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "reports", "Key": "a.pdf"}, ExpiresIn=600)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # SigV2 (`Signature=`, `AWSAccessKeyId=`) is refused
    assert query["X-Amz-Expires"] == ["600"]
    assert "Signature" not in query
    post = s3.generate_presigned_post("reports", "uploads/a.webm", ExpiresIn=600)
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    aws.reset()
    assert aws.client("s3") is not s3
