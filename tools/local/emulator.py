"""The AWS emulator `make run`, the deploy rehearsal and the wheel test run: moto in server mode on a thread of
this process, made to behave as DynamoDB does where the service's retries depend on it."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tools.local.fake_aws import HOST


@contextmanager
def emulator_running(port: int) -> Iterator[str]:
    """moto in server mode on a thread of this process, for the duration; yields its URL."""
    from moto.server import ThreadedMotoServer  # only the stack needs moto; invoke imports this module

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the API's own request log is the one to read
    idempotent_transactions()
    emulator = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    emulator.start()
    try:
        host, bound_port = emulator.get_host_and_port()
        yield f"http://{host}:{bound_port}"
    finally:
        emulator.stop()


IDEMPOTENCY_TOKENS_KEPT = 10_000


def idempotent_transactions() -> None:
    """Make moto run a TransactWriteItems once per ClientRequestToken, as DynamoDB does.

    botocore sends a token and keeps it across retries. moto runs every retry, so under load a retry
    after a read timeout (livekit_auth.aws) failed its own first try's `attribute_not_exists` and the
    local stack answered a login with a 500 that AWS would not give (schemathesis found it).
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items
    if getattr(original, "idempotent", False):
        return
    answers: OrderedDict[str, Any] = OrderedDict()
    one_at_a_time = threading.Lock()  # a retry waits for its first try, then gets the same answer

    def transact_write_items(handler: DynamoHandler) -> Any:
        token = handler.body.get("ClientRequestToken")
        if not token:
            return original(handler)
        with one_at_a_time:
            if token not in answers:
                answers[token] = original(handler)  # a refused transaction raises: a retry runs it again
                if len(answers) > IDEMPOTENCY_TOKENS_KEPT:
                    answers.popitem(last=False)
            return answers[token]

    transact_write_items.idempotent = True  # type: ignore[attr-defined]
    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]
