"""template.yaml as CloudFormation receives it: the SAM transform, run by aws-sam-translator as `sam deploy` runs it.

Code folders become S3 URIs (as `sam package` writes them) and the state machine's definition file is inlined;
everything else is the translator's own output: each function's IAM role with every policy template expanded,
the HTTP API's routes and permissions, the event source mappings. The IAM policies the local runtime enforces
and the shape CI lints both come from here, so they are what a deployment gets.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from panelist_local.template import ACCOUNT_ID, REGION, load_yaml

# AWS managed policies SAM attaches by name (the translator asks IAM for their ARNs; these never change).
MANAGED_POLICY_ARNS = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}
_CODE_PROPERTIES = ("CodeUri", "ContentUri")


class _ManagedPolicies:
    def load(self) -> dict[str, str]:
        return dict(MANAGED_POLICY_ARNS)


def packaged(body: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """The template as `sam package` leaves it: local code folders as S3 URIs, definitions inlined."""
    body = copy.deepcopy(dict(body))
    for resource in body.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in _CODE_PROPERTIES:
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://panelist-artifacts/{props[key].strip('/')}.zip"
        uri = props.get("DefinitionUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            props["Definition"] = json.loads((root / uri).read_text())
            del props["DefinitionUri"]
    return body


def transformed(
    path: Path | str,
    parameters: Mapping[str, str] | None = None,
    *,
    region: str = REGION,
    account_id: str = ACCOUNT_ID,
    cache_dir: Path | None = None,
    body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The CloudFormation template that `sam deploy` would create from the SAM template at `path`.

    With `cache_dir`, the result is kept there under a digest of everything it depends on (the packaged
    template, the parameters, the translator's version): the transform and the translator's import take
    about 1.5 s, which `panelist serve` pays once per template. `body`: the template already read.
    """
    path = Path(path)
    body = packaged(body if body is not None else load_yaml(path.read_text()), path.parent)
    values: dict[str, Any] = {**(parameters or {}), "AWS::Region": region, "AWS::AccountId": account_id}
    cached = None
    if cache_dir is not None:
        key = json.dumps([body, values, version("aws-sam-translator")], sort_keys=True, default=str)
        cached = cache_dir / f"transformed-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
        if cached.is_file():
            result: dict[str, Any] = json.loads(cached.read_text())
            return result
    result = _translate(body, values, region)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        partial.write_text(json.dumps(result))
        partial.replace(cached)
    return result


def _translate(body: dict[str, Any], values: dict[str, Any], region: str) -> dict[str, Any]:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    try:
        result: dict[str, Any] = translator.translate(
            body, parameter_values=values, get_managed_policy_map=_ManagedPolicies().load
        )
    except InvalidDocumentException as exc:
        raise ValueError("; ".join(str(cause) for cause in exc.causes)) from None
    return result
