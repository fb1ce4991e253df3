"""Timeouts that fit, read from template.yaml: API Gateway's HTTP API ends every integration at 30 s.

Every function behind a route answers within 29 s, and no AWS call it makes (retries included) can take
longer than its Timeout less a margin for the work; background model calls fit their functions' Timeouts;
every SQS-triggered function's queue hides a message at least as long as the function may run with it
(AWS refuses the event source mapping otherwise).
"""

from pathlib import Path

import pytest
from botocore.config import Config

from panelist.core import aws
from panelist.interviews.ai.bedrock import MODEL_CALL_BUDGET
from panelist_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
API_LIMIT = 29  # seconds: API Gateway's HTTP API cuts every integration at 30
WORK_MARGIN = 5  # seconds a request keeps for its own work besides its longest AWS call
# Every service a request path calls through panelist.core.aws.
REQUEST_SERVICES = ("dynamodb", "s3", "sqs", "ses", "secretsmanager", "stepfunctions", "translate", "bedrock-runtime")
BACKGROUND_MODEL_FUNCTIONS = ("AnalyseJobFunction", "WriteQuestionsFunction", "AnalyseSessionFunction")


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load(ROOT / "template.yaml", local=True)


def _api_functions(template: Template) -> list[str]:
    return sorted({route.function for route in template.all_routes})


def test_every_function_behind_a_route_answers_within_29_seconds(template):
    functions = _api_functions(template)
    assert "CreateInvitesFunction" in functions
    slow = {name: template.functions[name].timeout for name in functions if template.functions[name].timeout > 29}
    assert slow == {}


@pytest.mark.parametrize("service", REQUEST_SERVICES)
def test_every_request_path_call_fits_inside_the_shortest_api_timeout(template, service):
    shortest = min(template.functions[name].timeout for name in _api_functions(template))
    config = aws.config(service, "request")
    assert aws.worst_case_seconds(config) + WORK_MARGIN <= shortest, service
    client = aws.client(service)  # the config the client really has, after botocore read it
    assert aws.worst_case_seconds(client.meta.config) == aws.worst_case_seconds(config)


def test_the_worst_cases_count_every_attempt_and_the_pauses_between():
    assert aws.worst_case_seconds(aws.REQUEST) == 3 * (2 + 5) + 1 + 2  # 24 s
    assert aws.worst_case_seconds(aws.MODEL_REQUEST) == 2 + 12  # one attempt: 14 s
    assert aws.worst_case_seconds(aws.MODEL_BACKGROUND) == 2 * (3 + 60) + 1  # 127 s
    assert aws.worst_case_seconds(aws.MAIL) == 2 + 5  # one attempt: SES never sends twice
    # botocore's `max_attempts` counts retries: the old config of 4 was 5 attempts, 80 s a call.
    old = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 4})
    assert (aws.attempts(old), aws.worst_case_seconds(old)) == (5, 80)


def test_background_model_calls_fit_their_functions(template):
    background = aws.worst_case_seconds(aws.config("bedrock-runtime", "background"))
    assert background <= MODEL_CALL_BUDGET
    for name in BACKGROUND_MODEL_FUNCTIONS:
        assert template.functions[name].timeout >= MODEL_CALL_BUDGET + 20, name


def test_every_queue_hides_a_message_longer_than_its_function_runs(template):
    sources = template.sqs_sources
    assert {s.function for s in sources} >= {"SendInviteMailsFunction", "DeliverWebhooksFunction"}
    for source in sources:
        visibility = int(template.resolve(template.resources[source.queue].properties.get("VisibilityTimeout", 30)))
        assert visibility >= template.functions[source.function].timeout, (source.function, source.queue)
