"""SQS event source mappings: poll each queue and invoke its function as Lambda's poller does.

A batch whose invocation raises stays on the queue (it comes back after the visibility timeout and
the queue's redrive policy moves it to the dead-letter queue); with ReportBatchItemFailures only the
records the function lists as failed stay.

Each poller long-polls (WaitTimeSeconds 20, as Lambda's pollers do): an idle queue costs one request every
20 s, and the emulator answers as soon as a message is sent or becomes visible (moto_patches
`sqs_receives_wait_and_keep_fifo_order`). `LocalRuntime.stop` ends the waiting receives at once.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from typing import Any

from panelist_local.template import REGION, SqsSource

log = logging.getLogger("panelist_local")

Invoke = Callable[[str, Any], Any]


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A record of a Lambda SQS event, from a ReceiveMessage message."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            attribute["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        attributes[name] = attribute
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_ids(result: Any, message_ids: list[str]) -> set[str]:
    """The records to keep on the queue after a ReportBatchItemFailures response.

    An unusable response (an identifier that is empty or not in the batch) fails the whole batch.
    """
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    ids = {str(f.get("itemIdentifier") or "") if isinstance(f, dict) else "" for f in failures}
    return ids if ids <= set(message_ids) else set(message_ids)


class SqsPoller:
    def __init__(
        self,
        source: SqsSource,
        queue_url: str,
        queue_arn: str,
        sqs: Any,
        invoke: Invoke,
        *,
        wait_seconds: int = 20,
    ) -> None:
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.sqs = sqs
        self.invoke = invoke
        self.wait_seconds = wait_seconds  # the long poll; moto_patches.end_long_polls() cuts it short
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"panelist-sqs-{source.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("polling %s for %s failed", self.queue_url, self.source.function)
                self._stop.wait(1)

    def poll_once(self) -> int:
        """Receive one batch and run the function on it; the number of records delivered."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            WaitTimeSeconds=self.wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        ids = [m["MessageId"] for m in messages]
        try:
            result = self.invoke(self.source.function, {"Records": [sqs_record(m, self.queue_arn) for m in messages]})
        except Exception:
            log.exception("%s failed on a batch of %d from %s", self.source.function, len(messages), self.queue_arn)
            return len(messages)
        failed = failed_ids(result, ids) if self.source.report_batch_item_failures else set()
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)
