"""make bench's function in this process: over moto with bench users, its AWS answers recorded once and
replayed (ReplayedAws), its output discarded while samples run, and its AWS calls counted (CallMeter)."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from livekit_auth.routes import LOGIN, TOKEN, Route
from tools.bench.http_timing import PRODUCTION_BCRYPT_ROUNDS
from tools.bench.sampling import (
    CHEAP_ROUNDS,
    FUNCTION_DIR,
    MANY_CHANNELS,
    PASSWORD,
)


class ReplayedAws:
    """Answers the function's AWS calls from a recording, through botocore's `before-call` hook as its Stubber
    does. Keyed by operation and table rather than queued in order like the Stubber: the function makes calls
    from threads side by side, in no fixed order. Recorded over moto once per scenario, replayed at will."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients

    @staticmethod
    def key(model: Any, params: dict[str, Any]) -> tuple[str, str]:
        tables = params.get("TableName") or ",".join(sorted(params.get("RequestItems", {})))
        return model.name, tables

    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[tuple[str, str], Any]]:
        recorded: dict[tuple[str, str], Any] = {}

        def before(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["bench_key"] = self.key(model, params)

        def after(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            recorded[context["bench_key"]] = (http_response, copy.deepcopy(parsed))

        with self._hooked(("before-call", before), ("after-call", after)):
            yield recorded

    @contextlib.contextmanager
    def replaying(self, recorded: dict[tuple[str, str], Any]) -> Iterator[None]:
        def answer(model: Any, params: dict[str, Any], **_: Any) -> Any:
            http_response, parsed = recorded[self.key(model, params)]
            return http_response, copy.deepcopy(parsed)

        with self._hooked(("before-call", answer)):
            yield

    @contextlib.contextmanager
    def _hooked(self, *hooks: tuple[str, Callable[..., Any]]) -> Iterator[None]:
        for client in self.clients:
            for event, hook in hooks:
                client.meta.events.register_first(event, hook, unique_id=f"bench-{event}")
        try:
            yield
        finally:
            for client in self.clients:
                for event, _ in hooks:
                    client.meta.events.unregister(event, unique_id=f"bench-{event}")


@contextlib.contextmanager
def output_discarded() -> Iterator[None]:
    """The function's log lines and metrics (file descriptor 1) go nowhere while samples run."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


class InProcess:
    """The function imported here over moto, with bench users: one channel at cost 12 and at the cheap cost,
    MANY_CHANNELS at the cheap cost."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        import boto3
        from moto import mock_aws

        from livekit_auth.config import table_names
        from livekit_auth.passwords import hash_password
        from livekit_auth.storage.records import Membership
        from livekit_authctl.storage.admin import AdminStore
        from tools.ci.cfn_template import create_tables
        from tools.local import fake_aws

        saved = dict(os.environ)
        stack.callback(lambda: (os.environ.clear(), os.environ.update(saved)))
        fake_aws.use_fake_aws()
        for name in fake_aws.INHERITED_FUNCTION_VARIABLES:
            os.environ.pop(name, None)
        stack.enter_context(mock_aws())
        tables = create_tables(boto3.client("dynamodb"), "bench")
        fake_aws.put_livekit_credentials(boto3.client("ssm"))
        os.environ.update(
            fake_aws.function_environment(tables, BCRYPT_ROUNDS=str(CHEAP_ROUNDS), LOCKOUT_THRESHOLD="100")
        )
        store = AdminStore(boto3.client("dynamodb"), table_names(tables))
        for channel_id in range(1, MANY_CHANNELS + 1):
            store.add_channel(channel_id, f"کانال {channel_id}")
        for username, rounds, channels in (
            ("one@bench.example", PRODUCTION_BCRYPT_ROUNDS, 1),
            ("one-cheap@bench.example", CHEAP_ROUNDS, 1),
            ("many-cheap@bench.example", CHEAP_ROUNDS, MANY_CHANNELS),
        ):
            store.create_user(username, hash_password(PASSWORD, rounds))
            user = store.require_user(username)
            for channel_id in range(1, channels + 1):
                store.grant(user, store.get_channel(channel_id), Membership(channel_id, f"کانال {channel_id}"))

        if str(FUNCTION_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTION_DIR))
        import app
        import services
        from livekit_auth import credentials
        from tools.local.events import LocalContext

        self.app, self.services, self.credentials, self.context = app, services, credentials, LocalContext
        self.new_container()
        self.aws = ReplayedAws([services.dynamodb, credentials.ssm_provider.client])

    def at_cost(self, rounds: int) -> None:
        """The function's BcryptRounds from now on (a new container): its dummy hash and upgrade target. A user
        hashed below it would be upgraded (rehashed and written) by every replayed login."""
        os.environ["BCRYPT_ROUNDS"] = str(rounds)
        self.new_container()

    def new_container(self) -> None:
        self.services.configured.cache_clear()
        self.services.session_service.cache_clear()
        self.credentials.ssm_provider.clear_cache()

    def call(self, route: Route, body: dict[str, Any], expected: int, bearer: str | None = None) -> dict[str, Any]:
        from tools.local.events import route_event

        event = route_event(route, body, token=bearer)
        with output_discarded():
            result = self.app.lambda_handler(event, self.context())
        if result["statusCode"] != expected:
            raise RuntimeError(f"{route.path}: expected {expected}, got {result['statusCode']}: {result.get('body')}")
        return json.loads(result["body"]) if result.get("body") else {}

    def login(self, username: str, *, session: bool = False) -> dict[str, Any]:
        body = {"username": username, "password": PASSWORD} | ({"session": True, "device": "bench"} if session else {})
        return self.call(LOGIN, body, 200)

    def token(self, bearer: str) -> dict[str, Any]:
        return self.call(TOKEN, {}, 201, bearer)

    def replayed(self, action: Callable[[], Any]) -> Callable[[], Any]:
        """`action` recorded once over moto (warm), then a callable that replays it without AWS."""
        action()  # warm: settings, dummy hash and secrets cached, as in a warm container
        with self.aws.recording() as recorded:
            action()

        def run() -> Any:
            with self.aws.replaying(recorded):
                return action()

        return run


class CallMeter:
    """Counts the function's AWS calls and, when asked, makes each one CALL_DELAY_SECONDS slower."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients
        self.calls: Counter[str] = Counter()
        self.delay = 0.0

    def _hook(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        if self.delay:
            time.sleep(self.delay)

    @contextlib.contextmanager
    def metering(self, delay: float) -> Iterator[CallMeter]:
        self.calls.clear()
        self.delay = delay
        for client in self.clients:
            client.meta.events.register("before-call", self._hook, unique_id="bench-meter")
        try:
            yield self
        finally:
            for client in self.clients:
                client.meta.events.unregister("before-call", unique_id="bench-meter")
