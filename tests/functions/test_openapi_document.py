"""GET /openapi.json and GET /docs: public, counted per source IP like the pages, the committed document."""

from __future__ import annotations

import json

from panelist.api import openapi
from tests.functions.csp import directives
from tests.functions.harness import ROOT


def test_the_document_is_served_without_credentials_naming_this_deployment(api):
    reply = api("get_openapi_document")
    assert reply.status == 200, reply.body
    committed = json.loads((ROOT / "shared/panelist/api/openapi.json").read_text())
    assert reply.body["paths"] == committed["paths"]
    assert reply.body["webhooks"] == committed["webhooks"]
    assert reply.body["servers"] == [{"url": "https://api.example.com", "description": "This deployment"}]
    assert reply.headers["X-RateLimit-Limit"] == "1000"  # the pages' per-IP budget, not an organization's


def test_the_docs_page_is_swagger_ui_under_a_strict_policy(api):
    reply = api("get_api_docs", headers={"apiKey": "pnl_ignored"})
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    policy = directives(reply)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"][0] == openapi.SWAGGER_UI_JS[0]
    assert policy["style-src"] == [openapi.SWAGGER_UI_CSS[0]]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]  # the stylesheet's icons
    assert 'SwaggerUIBundle({url: "/openapi.json"' in reply.body
    assert reply.headers["X-RateLimit-Limit"] == "1000"
