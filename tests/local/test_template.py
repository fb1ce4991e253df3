import json

import pytest

from panelist_local.emulator import _queue_order
from panelist_local.template import Template, TemplateError, load_yaml
from tests.local.support import ROOT


@pytest.fixture(scope="module")
def real() -> Template:
    return Template.load(ROOT / "template.yaml", local=True)


@pytest.fixture(scope="module")
def app(app_root) -> Template:
    return Template.load(app_root / "template.yaml", local=True)


def test_short_form_tags_load_as_their_long_form():
    text = """
    a: !Ref Stage
    b: !GetAtt Queue.Arn
    c: !Sub "x-${Stage}"
    d: !Sub ["${A}", {A: !Ref B}]
    e: !If [Cond, !Join ["-", [a, b]], !Select [0, [x]]]
    f: !Not [!Equals [!Ref A, b]]
    g: !Condition Cond
    h: !FindInMap [M, k, v]
    """
    assert load_yaml(text) == {
        "a": {"Ref": "Stage"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "x-${Stage}"},
        "d": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]},
        "e": {"Fn::If": ["Cond", {"Fn::Join": ["-", ["a", "b"]]}, {"Fn::Select": [0, ["x"]]}]},
        "f": {"Fn::Not": [{"Fn::Equals": [{"Ref": "A"}, "b"]}]},
        "g": {"Condition": "Cond"},
        "h": {"Fn::FindInMap": ["M", "k", "v"]},
    }


def test_the_real_template_routes_every_http_api_event(real):
    routes = {route.key: route for route in real.routes}
    create_key = routes["POST /api/admin/organizations/{id}/api-keys"]
    assert create_key.function == "CreateApiKeyFunction"
    assert create_key.authorizer is not None
    assert create_key.authorizer.function == "AuthorizerFunction"
    assert create_key.authorizer.simple_responses
    assert routes["DELETE /api/admin/organizations/{id}/api-keys/{key_id}"].function == "RevokeApiKeyFunction"
    assert real.default_route is not None
    assert real.default_route.function == "RouteNotFoundFunction"
    assert real.default_route.authorizer is None
    assert real.default_authorizer is not None
    assert real.default_authorizer.function == "AuthorizerFunction"
    assert real.route_table()["/api/admin/organizations"] == ["GET", "POST"]


def test_the_real_template_functions_get_the_merged_resolved_environment(real):
    fn = real.functions["CreateOrganizationFunction"]
    assert fn.code_dir == ROOT / "functions" / "create_organization"
    assert (fn.code_dir / "app.py").is_file()
    assert fn.handler == "app.handler"
    assert fn.timeout == 29
    assert fn.memory_size == 512
    assert fn.environment["PANELIST_STAGE"] == "local"
    assert fn.environment["PANELIST_AI_PROVIDER"] == "offline"
    # The table, bucket and secrets have no name in the template (CloudFormation names them); locally, theirs.
    assert fn.environment["PANELIST_TABLE"] == "Table"
    assert fn.environment["PANELIST_BUCKET"] == "panelist-local-bucket"
    secret = fn.environment["PANELIST_SECRET_ID"]
    assert secret.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:Secret-")
    assert fn.environment["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert fn.environment["PANELIST_PUBLIC_BASE_URL"] == ""
    assert real.functions["RotateSigningKeysFunction"].timeout == 30
    assert real.function("create_organization") is fn
    assert real.function(fn.arn) is fn


def test_the_real_template_resolves_names_arns_and_subs(real):
    assert real.resolve({"Fn::GetAtt": ["RotateSigningKeysFunction", "Arn"]}) == (
        "arn:aws:lambda:us-east-1:123456789012:function:panelist-local-rotate-signing-keys"
    )
    assert real.resolve({"Fn::Sub": "${Bucket.Arn}/*"}) == "arn:aws:s3:::panelist-local-bucket/*"
    assert real.resolve(real.body["Outputs"]["ApiUrl"]["Value"]) == "https://local.execute-api.us-east-1.amazonaws.com"
    assert real.resolve({"Ref": "Secret"}) == real.secret_arn("Secret")


def test_parameters_default_unless_overridden_and_are_validated():
    assert Template.load(ROOT / "template.yaml", {"MailSender": "a@example.com"}).parameters["Stage"] == "prod"
    assert Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True).parameters["Stage"] == "test"
    with pytest.raises(TemplateError, match="AiProvider"):
        Template.load(ROOT / "template.yaml", {"AiProvider": "gpt"})
    with pytest.raises(TemplateError, match="unknown template parameters: Nope"):
        Template.load(ROOT / "template.yaml", {"Nope": "x"})
    # A deployment must name its sender (an SES verified identity); locally, LOCAL_PARAMETERS does.
    with pytest.raises(TemplateError, match="MailSender has no default and no value"):
        Template.load(ROOT / "template.yaml")


def test_conditions_and_no_value(app_root):
    plain = Template.load(app_root / "template.yaml", local=True).functions["EchoFunction"].environment
    fancy = Template.load(app_root / "template.yaml", {"Flavor": "fancy"}).functions["EchoFunction"].environment
    assert (plain["APP_MODE"], plain["APP_PLAIN"], plain["APP_STAGE"]) == ("plain-mode", "yes", "local")
    assert (fancy["APP_MODE"], "APP_PLAIN" in fancy, fancy["APP_STAGE"]) == ("fancy-mode", False, "prod")
    assert plain["APP_QUEUE_URL"] == "https://sqs.us-east-1.amazonaws.com/123456789012/app-local-work"


def test_event_sources_state_machines_and_ignored_events(app):
    source, hooks = app.sqs_sources
    assert (source.function, source.queue, source.batch_size, source.report_batch_item_failures) == (
        "WorkerFunction",
        "WorkQueue",
        10,
        True,
    )
    assert (hooks.function, hooks.queue, hooks.batch_size) == ("HookFunction", "HookQueue", 1)
    nightly, hourly = app.schedules
    assert (nightly.name, nightly.kind, nightly.input) == ("Nightly", "Schedule", {"job": "nightly"})
    assert (hourly.name, hourly.kind, hourly.input, hourly.expression) == (
        "app-local-hourly",
        "ScheduleV2",
        None,
        "rate(1 hour)",
    )
    assert app.schedule("Hourly") is hourly
    assert app.schedule("NightlyFunction.Nightly") is nightly
    with pytest.raises(TemplateError, match="does not exist"):
        app.schedule("weekly")
    (machine,) = app.state_machines
    assert machine.name == "app-local-pipeline"
    definition = json.loads(machine.definition)
    assert definition["States"]["Fanout"]["Iterator"]["States"]["Double"]["Resource"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:app-local-step"
    )
    assert [(e.function, e.type) for e in app.ignored_events] == [("NightlyFunction", "S3")]
    assert _queue_order(app) == ["WorkDeadLetters", "WorkQueue", "HookDeadLetters", "HookQueue"]


def test_routes_and_default_route_of_the_synthetic_app(app):
    keys = {route.key for route in app.routes}
    assert {"GET /items/{id}", "GET /items/special", "ANY /items/{id}", "GET /files/{proxy+}"} <= keys
    assert next(r for r in app.routes if r.key == "POST /public").authorizer is None
    assert app.default_route is not None
    assert app.default_route.key == "$default"


def test_unsupported_intrinsics_fail_clearly(app):
    with pytest.raises(TemplateError, match="Fn::ImportValue is not emulated"):
        app.resolve({"Fn::ImportValue": "x"})
    with pytest.raises(TemplateError, match="no resource 'Missing'"):
        app.resolve({"Ref": "Missing"})


def test_webhooks_are_taken_one_at_a_time_so_a_failed_one_holds_only_its_own_destination(real):
    """With more than one a batch, the later webhooks of a failing destination would be received with it, skipped:
    each skip spends one of their attempts, and they then hold the destination for the visibility timeout."""
    (source,) = [s for s in real.sqs_sources if s.function == "DeliverWebhooksFunction"]
    assert (source.batch_size, source.report_batch_item_failures) == (1, True)
    assert real.resources[source.queue].properties["FifoQueue"] is True
