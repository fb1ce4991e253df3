"""panelist.core.aws: one client per service for the process, bounded timeouts, and S3 links signed with SigV4,
virtual-hosted and regional (path style on a custom endpoint such as the emulator's)."""

from urllib.parse import parse_qs, urlsplit

import pytest

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


BUCKET = "panelist-prod-123456789012-eu-west-1"


@pytest.fixture
def s3_in(monkeypatch):
    """The process's S3 client in a region, with or without a custom endpoint (as the local runtime sets)."""

    def make(region: str, endpoint: str | None = None):
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
        if endpoint:
            monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        else:
            monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        aws.reset()
        return aws.client("s3")

    yield make
    aws.reset()


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_presigned_urls_are_sigv4_virtual_hosted_and_regional(s3_in, region):
    s3 = s3_in(region)
    params = {"Bucket": BUCKET, "Key": "orgs/o/answers/a b.webm"}
    for method, extra in (("get_object", {}), ("put_object", {"ContentType": "audio/webm"})):
        url = s3.generate_presigned_url(method, Params={**params, **extra}, ExpiresIn=900)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == f"https://{BUCKET}.s3.{region}.amazonaws.com", url
        assert parts.path == "/orgs/o/answers/a%20b.webm"
        query = parse_qs(parts.query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Credential"][0].split("/")[2] == region  # signed for the bucket's region
    post = s3.generate_presigned_post(BUCKET, "uploads/a.webm", ExpiresIn=600)
    assert post["url"] == f"https://{BUCKET}.s3.{region}.amazonaws.com/"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:4599", "http://localhost:4599"])
def test_a_custom_endpoint_gets_path_style_urls_it_can_serve(s3_in, endpoint):
    s3 = s3_in("us-east-1", endpoint)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "a.pdf"}, ExpiresIn=60)
    assert url.startswith(f"{endpoint}/{BUCKET}/a.pdf?"), url  # `<bucket>.localhost` would not resolve everywhere
    assert parse_qs(urlsplit(url).query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]


def test_every_client_has_bounded_timeouts_and_retries():
    aws.reset()
    for service in ("dynamodb", "s3", "sqs", "ses", "secretsmanager", "stepfunctions", "translate"):
        config = aws.client(service).meta.config
        assert (config.connect_timeout, config.read_timeout) == (2, 5), service
        assert config.retries["mode"] == "standard"
    assert aws.client("ses").meta.config.retries["total_max_attempts"] == 1  # a mail is never sent twice by a retry
    assert aws.client("bedrock-runtime").meta.config.read_timeout == 12
    assert aws.client("bedrock-runtime", profile="background").meta.config.read_timeout == 60
    aws.reset()
