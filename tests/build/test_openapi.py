"""The committed OpenAPI document (shared/panelist/api/openapi.json): complete, current, valid OpenAPI 3.1."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from panelist.api import openapi
from panelist.api.relay import resolver
from panelist.webhooks.endpoints import EVENTS
from panelist_local.openapi import OUT, generate
from panelist_local.template import Template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(OUT.read_text())


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load(ROOT / "template.yaml", local=True)


def test_the_committed_document_is_what_the_code_generates(committed):
    assert openapi.dumps(generate()) == openapi.dumps(committed), "run `make generate`"


def test_every_route_of_the_template_is_in_the_document(committed, template):
    routes = {(r.method.lower(), r.path) for r in template.all_routes if r.path != "$default"}
    documented = {(method, path) for path, item in committed["paths"].items() for method in item}
    assert routes - documented == set(), "routes missing from the document: run `make generate`"
    assert documented - routes == set(), "the document has routes the template does not"


def test_the_document_is_valid_openapi_3_1(committed):
    assert committed["openapi"] == "3.1.0"
    errors = [e.message for e in OpenAPIV31SpecValidator(committed).iter_errors()]
    assert errors == []


def test_credentials_errors_and_rate_limits_are_described_per_route(committed, template):
    public = {(r.method.lower(), r.path) for r in template.all_routes if r.authorizer is None}
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            if (method, path) in public:
                assert operation["security"] == [], (method, path)
            else:
                assert operation["security"] == [{"apiKey": []}, {"bearerAuth": []}], (method, path)
                assert "401" in operation["responses"]
            for response in operation["responses"].values():
                headers = (
                    committed["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]["headers"]
                    if ("$ref" in response)
                    else response["headers"]
                )
                assert "X-RateLimit-Remaining" in headers, (method, path)
    errors = {
        "/api/campaigns": "RelayError",
        "/api/v2/ai-interviews/generate-interview": "XobinError",
        "/job-interview-token": "JobMojitoError",
    }
    for path, schema in errors.items():
        response = committed["paths"][path]["post"]["responses"]["400"]["$ref"].rsplit("/", 1)[1]
        body = committed["components"]["responses"][response]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{schema}"}
    limited = committed["components"]["responses"]["InterviewRelay429"]["headers"]
    assert "Retry-After" in limited
    assert committed["paths"]["/api/campaigns"]["post"]["responses"]["201"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/CampaignCreated"}
    assert "204" in committed["paths"]["/api/webhooks/{id}"]["delete"]["responses"]
    assert "Location" in committed["paths"]["/api/session/{id}/audio"]["get"]["responses"]["302"]["headers"]


def test_every_event_type_is_a_webhook_of_the_document(committed):
    for event in EVENTS:
        body = committed["webhooks"][event]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["type"] == {"const": event}
    assert "ai_interview.generation.completed" in committed["webhooks"]


def test_the_success_status_is_read_from_the_handlers_source():
    app = resolver()

    @app.post("/created")
    def created() -> tuple[dict, int]:
        return {}, 201

    @app.post("/either")
    def either(flag: bool = False) -> tuple[dict, int]:
        return {}, 200 if flag else 201

    def status(path):
        route = openapi._route(app, "POST", path)
        return openapi._success(route, app).statuses

    assert status("/created") == (201,)
    assert status("/either") == (200, 201)


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_the_docs_page_loads_only_the_pinned_swagger_ui_files():
    response = openapi.docs_page()
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    assert directives["script-src"] == f"{openapi.SWAGGER_UI_JS[0]} 'nonce-{nonce}'"
    assert directives["style-src"] == openapi.SWAGGER_UI_CSS[0]
    assert directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    body = response.body
    assert f'src="{openapi.SWAGGER_UI_JS[0]}" integrity="{openapi.SWAGGER_UI_JS[1]}"' in body
    assert f'href="{openapi.SWAGGER_UI_CSS[0]}" integrity="{openapi.SWAGGER_UI_CSS[1]}"' in body
    assert body.count("<script") == 2
    assert f'<script nonce="{nonce}">' in body


def test_the_integrity_hashes_are_those_of_the_pinned_package(tmp_path):
    """The SRI hashes are the npm package's files' (the CDN serves those bytes): npm fetches the tarball."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is missing (make test needs it for the state machine check too)")
    version = openapi.SWAGGER_UI.rsplit("@", 1)[1]
    subprocess.run(
        [npm, "pack", f"swagger-ui-dist@{version}", "--silent", "--pack-destination", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with tarfile.open(tmp_path / f"swagger-ui-dist-{version}.tgz") as tar:
        for url, sri in (openapi.SWAGGER_UI_JS, openapi.SWAGGER_UI_CSS):
            member = tar.extractfile("package/" + url.rsplit("/", 1)[1])
            assert _sri(member.read()) == sri, url
