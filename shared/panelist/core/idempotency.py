"""Requests with an Idempotency-Key: the first answer replayed for 24 h, per organization (Powertools).

Powertools' idempotency utility is imported when a request carries a key: importing it takes about 40 ms,
a tenth of a handler's cold start, and most handlers that reach this module never use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from panelist.core import aws
from panelist.core.errors import BadRequest, Conflict
from panelist.core.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.typing import LambdaContext

M = TypeVar("M", bound=BaseModel)
MAX_KEY_LENGTH = 255


def records(static_pk_value: str) -> DynamoDBPersistenceLayer:
    """Powertools' records in the table, under one partition, with a TTL (the caller's store names it)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=get_settings().table,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=static_pk_value,
        expiry_attr="ttl",
        boto3_client=aws.client("dynamodb"),
    )


def check_key(idempotency_key: str) -> None:
    if len(idempotency_key) > MAX_KEY_LENGTH:
        raise BadRequest(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters", field="Idempotency-Key")


def once(
    run: Callable[[dict[str, Any]], M],
    data: dict[str, Any],
    *,
    output: type[M],
    persistence: DynamoDBPersistenceLayer,
    payload: str,
    lambda_context: LambdaContext | None = None,
) -> M:
    """`run(data)` once per `[organization_id, idempotency_key]` of `data`; the same key with another `payload`
    (a JMESPath into `data`) is a 409, as is one still in progress. The Lambda context lets an interrupted
    request's in-progress record expire with the invocation."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    config = IdempotencyConfig(
        event_key_jmespath="[organization_id, idempotency_key]",
        payload_validation_jmespath=payload,
        expires_after_seconds=24 * 3600,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    guarded = idempotent_function(
        data_keyword_argument="data",
        persistence_store=persistence,
        config=config,
        output_serializer=PydanticSerializer(output),
    )(run)
    try:
        result: M = guarded(data=data)
    except IdempotencyValidationError:
        raise Conflict(
            "This Idempotency-Key was already used with a different request", field="Idempotency-Key"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress; retry shortly", field="Idempotency-Key"
        ) from None
    return result
