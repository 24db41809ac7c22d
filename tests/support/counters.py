"""What a login cost: the bcrypt checks it ran and the AWS calls the function's clients made.

Both are thread-safe: the parallel lockout tests count from sixteen threads at once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from livekit_auth import passwords


class BcryptCounter:
    """Every stored hash bcrypt checked a password against, in order."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []
        self._lock = threading.Lock()

    @classmethod
    def installed(cls, monkeypatch: pytest.MonkeyPatch) -> BcryptCounter:
        """A counter wrapped around the bcrypt.checkpw the passwords module calls (undone with monkeypatch)."""
        counter = cls()
        real_checkpw = passwords.bcrypt.checkpw

        def counting_checkpw(password: bytes, hashed: bytes) -> bool:
            with counter._lock:
                counter.hashes.append(hashed)
            return real_checkpw(password, hashed)

        monkeypatch.setattr(passwords.bcrypt, "checkpw", counting_checkpw)
        return counter

    @property
    def count(self) -> int:
        return len(self.hashes)


class AwsCallCounter:
    """API calls made by the clients it counts on, by service ("dynamodb", "ssm") and operation."""

    def __init__(self) -> None:
        self.by_service: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def counting(self, clients: Iterable[Any]) -> Iterator[AwsCallCounter]:
        clients = list(clients)
        for client in clients:
            client.meta.events.register("before-call", self._count, unique_id="count-aws-calls")
        try:
            yield self
        finally:
            for client in clients:
                client.meta.events.unregister("before-call", unique_id="count-aws-calls")

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.by_service.setdefault(model.service_model.service_name, Counter())[model.name] += 1

    def __getitem__(self, operation: str) -> int:
        """Calls of `operation` on any service."""
        return sum(calls[operation] for calls in self.by_service.values())

    def total(self) -> int:
        return sum(sum(calls.values()) for calls in self.by_service.values())

    def on(self, service: str) -> dict[str, int]:
        """{operation: calls} on one service, without the operations never called."""
        return {operation: n for operation, n in self.by_service.get(service, Counter()).items() if n}

    def clear(self) -> None:
        with self._lock:
            self.by_service.clear()
