"""The function's deployed entry point as the tests call it, and the container state it keeps."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters

import app
import services
from livekit_auth import credentials
from livekit_auth.config import Settings
from livekit_auth.login import LoginService
from livekit_auth.sessions import SessionService
from tests.support.settings import function_settings
from tools.local.events import LocalContext


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]


def call_handler(event: dict[str, Any]) -> Answer:
    """Run one API Gateway event through the deployed entry point and decode its answer."""
    result = app.lambda_handler(event, LocalContext())
    headers = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    headers.update(result.get("headers") or {})
    body = json.loads(result["body"]) if result.get("body") else None
    return Answer(result["statusCode"], headers, body, result)


def new_container() -> None:
    """Forget cached settings, services and secrets, as a new Lambda container would."""
    services.configured.cache_clear()
    services.session_service.cache_clear()
    credentials.ssm_provider.clear_cache()
    parameters.clear_caches()


def run_on_clock(clock: Callable[[], float], monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the handler's own services (services.build_service, services.build_session_service) read
    the time from `clock`, with the settings of the current environment."""
    settings = function_settings()
    login = services.build_service(settings, clock=clock)
    sessions = services.build_session_service(settings, clock=clock)

    @functools.cache
    def configured_on_clock() -> tuple[Settings, LoginService]:
        return settings, login

    @functools.cache
    def session_service_on_clock() -> SessionService:
        return sessions

    monkeypatch.setattr(services, "configured", configured_on_clock)
    monkeypatch.setattr(services, "session_service", session_service_on_clock)
