"""The deployed shape: template.yaml as `sam deploy` hands it to CloudFormation, checked as AWS would check it.

The template is transformed with aws-sam-translator (panelist_local.transform) and the result must pass
cfn-lint with no error, in us-east-1 and eu-west-1; every HTTP API route key must be one API Gateway accepts
(panelist_local.route_keys); every state machine, its substitutions applied, must pass asl-validator (npm,
locked in tools/asl/, installed by `make test`), which refuses what moto's interpreter lets through.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs
from cfnlint.context.parameters import ParameterSet

from panelist_local import route_keys
from panelist_local.template import REGION, StateMachine, Template
from panelist_local.transform import transformed

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
# What a deployment passes for the parameters that have no usable default (a verified SES identity).
DEPLOY_PARAMETERS = {"MailSender": "interviews@example.com"}
LINT_REGIONS = ["us-east-1", "eu-west-1"]
ASL_PACKAGE = ROOT / "tools" / "asl" / "package.json"
ASL_VALIDATOR = ROOT / ".tools" / "asl" / "node_modules" / ".bin" / "asl-validator"
ASL_INSTALL = "make .tools/asl/node_modules/.bin/asl-validator (make test does it; it needs Node.js 20.16+ and npm)"


@pytest.fixture(scope="module")
def source() -> Template:
    """template.yaml as the local runtime reads it, with the deployment's parameters."""
    return Template.load(TEMPLATE, DEPLOY_PARAMETERS)


@pytest.fixture(scope="module")
def deployed() -> dict:
    """The transformed template, as CloudFormation receives it from `sam deploy` in us-east-1."""
    return transformed(TEMPLATE, DEPLOY_PARAMETERS, region=REGION)


# ------------------------------------------------------------------------------------------------ cfn-lint


def test_the_transformed_template_passes_cfn_lint(deployed):
    # The transform runs for each region; one cfn-lint run checks a template against several regions' resource
    # specifications, so regions whose transforms are the same (all today: ARNs come from pseudo parameters)
    # are linted together.
    by_template: dict[str, list[str]] = {}
    for region in LINT_REGIONS:
        template = deployed if region == REGION else transformed(TEMPLATE, DEPLOY_PARAMETERS, region=region)
        by_template.setdefault(json.dumps(template), []).append(region)
    for text, regions in by_template.items():
        config = ManualArgs(regions=regions, parameters=[ParameterSet(parameters=DEPLOY_PARAMETERS)])
        matches = lint(text, config=config)
        errors = [m for m in matches if m.rule.severity == "error"]
        others = [m for m in matches if m.rule.severity != "error"]
        listed = "\n".join(f"  {m.rule.id} {m.path_string}: {m.message}" for m in errors)
        noted = "\n".join(f"  {m.rule.id} {m.path_string}: {m.message[:160]}" for m in others)
        assert not errors, f"cfn-lint ({', '.join(regions)}) finds errors in the transformed template:\n{listed}" + (
            f"\nand these warnings:\n{noted}" if noted else ""
        )


def test_cfn_lint_errors_fail_and_regions_are_each_checked():
    template = {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "BillingMode": "ON_DEMAND",
                    "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
                },
            },
            # A resource type of us-east-1 only: what linting in eu-west-1 too is for.
            "Group": {
                "Type": "AWS::BillingConductor::BillingGroup",
                "Properties": {
                    "Name": "x",
                    "PrimaryAccountId": "123456789012",
                    "AccountGrouping": {"LinkedAccountIds": ["123456789012"]},
                    "ComputationPreference": {"PricingPlanArn": "arn:aws:billingconductor::123456789012:pricingplan/a"},
                },
            },
        }
    }
    matches = lint(json.dumps(template), config=ManualArgs(regions=LINT_REGIONS))
    errors = {m.rule.id: m.message for m in matches if m.rule.severity == "error"}
    assert "E3030" in errors  # BillingMode is not one of PAY_PER_REQUEST, PROVISIONED
    assert "does not exist in 'eu-west-1'" in errors["E3006"]


# ------------------------------------------------------------------------------------------------ route keys


def _api_bodies(template: dict) -> dict[str, dict]:
    return {
        logical_id: resource["Properties"]["Body"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
    }


def test_every_route_key_is_one_http_api_accepts(deployed):
    bodies = _api_bodies(deployed)
    assert bodies, "the transformed template has no HTTP API with an OpenAPI body"
    for logical_id, body in bodies.items():
        keys = route_keys.openapi_keys(body)
        assert keys, f"{logical_id} has no route"
        found = route_keys.table_problems(keys)
        assert not found, f"{logical_id}: route keys API Gateway would refuse or drop:\n  " + "\n  ".join(found)


def test_the_local_runtime_serves_the_routes_a_deployment_gets(deployed, source):
    [body] = _api_bodies(deployed).values()
    assert sorted(r.key for r in source.all_routes) == sorted(route_keys.openapi_keys(body))


@pytest.mark.parametrize(
    "key",
    ["$default", "GET /", "ANY /api/{proxy+}", "DELETE /a/{id}/b/{key_id}", "OPTIONS /a.b/{v-1.x_y}", "HEAD /a-b"],
)
def test_valid_route_keys_pass(key):
    assert route_keys.problems(key) == []


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("GET", "one space"),
        ("GET  /a", "one space"),
        ("$default /a", "not one of"),
        ("get /a", "not one of"),
        ("TRACE /a", "not one of"),
        ("GET a/b", "start with '/'"),
        ("GET /interview/take/{interview_id}/", "ends with '/'"),
        ("GET /a//b", "empty segment"),
        ("GET /a/x{id}", "whole segment"),
        ("GET /a/{id", "whole segment"),
        ("GET /a/{a}{b}", "whole segment"),
        ("GET /a/{my$id}", "only A-Z"),
        ("GET /a/{id:int}", "only A-Z"),
        ("GET /a/{}", "only A-Z"),
        ("GET /a/{proxy+}/b", "greedy"),
        ("GET /a/{id}/b/{id}", "appears twice"),
    ],
)
def test_each_rule_refuses_a_bad_route_key(key, rule):
    found = route_keys.problems(key)
    assert any(rule in problem for problem in found), found


def test_a_route_declared_twice_is_refused():
    [problem] = route_keys.table_problems(["GET /a", "POST /a", "GET /a"])
    assert "declared 2 times" in problem


@pytest.mark.parametrize("other", ["GET /pets/{petId}", "DELETE /pets/{petId}"])
def test_paths_that_differ_only_in_variable_names_are_refused(other):
    [problem] = route_keys.table_problems(["GET /pets/{id}", other])
    assert "ambiguous" in problem
    assert route_keys.table_problems(["GET /pets/{id}", "DELETE /pets/{id}", "GET /pets/mine", "ANY /pets/{id}"]) == []


def test_openapi_keys_reads_methods_any_and_default():
    body = {
        "paths": {
            "/a/{id}": {"get": {}, "patch": {}, "parameters": [], "summary": "x"},
            "/b": {route_keys.ANY_METHOD: {}},
            "$default": {route_keys.ANY_METHOD: {}},
        }
    }
    assert sorted(route_keys.openapi_keys(body)) == ["$default", "ANY /b", "GET /a/{id}", "PATCH /a/{id}"]


# ------------------------------------------------------------------------------------------------ ASL


@pytest.fixture(scope="module")
def asl_validator() -> Path:
    """The pinned asl-validator, as `make test` installs it; its absence fails the test, with how to install it."""
    pinned = json.loads(ASL_PACKAGE.read_text())["dependencies"]["asl-validator"]
    installed = ASL_VALIDATOR.parents[1] / "asl-validator" / "package.json"
    if not ASL_VALIDATOR.exists() or not installed.exists():
        pytest.fail(f"asl-validator {pinned} is not installed in .tools/asl: run {ASL_INSTALL}")
    if (version := json.loads(installed.read_text())["version"]) != pinned:
        pytest.fail(f"asl-validator {version} is in .tools/asl, not the pinned {pinned}: run {ASL_INSTALL}")
    if not shutil.which("node"):
        pytest.fail(f"node is not on PATH: asl-validator needs Node.js 20.16+ ({ASL_INSTALL})")
    return ASL_VALIDATOR


def _validate(validator: Path, paths: list[Path]) -> dict[Path, str]:
    """asl-validator's verdict on each file, from one run (node starts once): its block of output."""
    args = [arg for path in paths for arg in ("--json-path", str(path))]
    run = subprocess.run([str(validator), *args], capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1):  # 2: the validator itself failed
        pytest.fail(f"asl-validator failed (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    blocks = re.split(r'(?=[✓✕] State machine definition ")', run.stdout + run.stderr)
    return {path: next((b for b in blocks if f'"{path}"' in b), f"(nothing about {path})") for path in paths}


def _deployed_state_machines(deployed: dict, source: Template) -> list[StateMachine]:
    # The transformed template's state machines, their DefinitionSubstitutions applied (the functions' ARNs).
    return Template(source.path, deployed, source.parameters).state_machines


def test_every_state_machine_passes_the_asl_validator(deployed, source, asl_validator, tmp_path):
    machines = _deployed_state_machines(deployed, source)
    assert machines, "the transformed template has no state machine"
    paths = []
    for machine in machines:
        assert "${" not in machine.definition, f"{machine.logical_id}: a substitution is left unapplied"
        paths.append(tmp_path / f"{machine.logical_id}.asl.json")
        paths[-1].write_text(machine.definition)
    for path, verdict in _validate(asl_validator, paths).items():
        assert verdict.startswith("✓"), f"asl-validator refuses {path.stem}:\n{verdict}"


# What each deliberately broken definition breaks, and what asl-validator says of it.
BROKEN = {
    "Next to a missing state": "Missing 'StartAt'|'Next'|'Default' target: NoSuchState",
    "Retry with ErrorEquals not a list": "ErrorEquals is invalid. must be array",
    "ResultPath that is not a path": 'ResultPath is invalid. must match format "asl_result_path"',
}


def _broken(definition: dict, how: str) -> dict:
    broken = json.loads(json.dumps(definition))
    states = broken["States"]
    task = next(name for name, state in states.items() if state["Type"] == "Task" and state.get("Retry"))
    if how == "Next to a missing state":
        states[task]["Next"] = "NoSuchState"
        states[task].pop("End", None)
    elif how == "Retry with ErrorEquals not a list":
        states[task]["Retry"][0]["ErrorEquals"] = "States.ALL"
    elif how == "ResultPath that is not a path":
        states[task]["ResultPath"] = "result"
    return broken


@pytest.fixture(scope="module")
def definition(deployed, source) -> dict:
    return json.loads(_deployed_state_machines(deployed, source)[0].definition)


@pytest.fixture(scope="module")
def verdicts(asl_validator, definition, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("broken")
    paths = {how: folder / f"broken-{i}.asl.json" for i, how in enumerate(BROKEN)}
    for how, path in paths.items():
        path.write_text(json.dumps(_broken(definition, how)))
    found = _validate(asl_validator, list(paths.values()))
    return {how: found[path] for how, path in paths.items()}


@pytest.mark.parametrize("how", BROKEN)
def test_the_asl_validator_refuses_a_broken_definition(verdicts, how):
    assert verdicts[how].startswith("✕"), f"asl-validator accepts a definition with a {how}:\n{verdicts[how]}"
    assert BROKEN[how] in verdicts[how]


MOTO_CREATES = """
import json, sys
import boto3
from moto import mock_aws

with mock_aws():
    client = boto3.client("stepfunctions", region_name="us-east-1")
    for i, definition in enumerate(json.load(sys.stdin)):
        client.create_state_machine(
            name=f"broken-{i}", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
        )
"""


def test_moto_creates_what_the_asl_validator_refuses(definition):
    # Why the validator runs: the emulator's Step Functions takes all of these broken definitions. (In a
    # subprocess: mock_aws would reset the moto backends that this worker's function tests share.)
    broken = [_broken(definition, how) for how in BROKEN]
    run = subprocess.run(
        [sys.executable, "-c", MOTO_CREATES], input=json.dumps(broken), capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, f"moto now refuses a broken definition itself:\n{run.stderr[-2000:]}"
