"""authctl import when DynamoDB fails: an interrupted import completes when run again, throttling is retried;
and the progress it shows meanwhile."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import pytest
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler

from livekit_authctl.progress import Progress
from livekit_authctl.storage import transfer as storage_transfer
from tests.support.transfer import pbkdf2, tallies


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage_transfer, "sleep", lambda seconds: None)


@contextmanager
def failing_batch_writes(code: str, *, after: int = 0, times: int | None = None) -> Iterator[list[int]]:
    """The emulator answers BatchWriteItem with the AWS error `code`, after `after` calls succeed, `times` times."""
    calls: list[int] = []
    original = DynamoHandler.batch_write_item

    def batch_write_item(self: Any) -> Any:
        calls.append(1)
        failures = len(calls) - after
        if failures > 0 and (times is None or failures <= times):
            raise JsonRESTError(code, "injected fault")
        return original(self)

    with patch.object(DynamoHandler, "batch_write_item", batch_write_item):
        yield calls


def test_an_interrupted_import_completes_when_run_again(authctl_without_demo, tmp_path, dynamodb_client, no_backoff):
    # Given: an import whose third batch (of users) fails
    users = [{"kind": "user", "username": f"user{n}@example.com", "password_hash": pbkdf2("pw")} for n in range(60)]
    channels = [{"kind": "channel", "channel_id": n, "name": f"c{n}"} for n in (1, 2)]
    grants = [{"kind": "grant", "username": user["username"], "channel_id": 1} for user in users]
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(line) + "\n" for line in users + channels + grants))
    with failing_batch_writes("ValidationException", after=2):
        interrupted = authctl_without_demo("import", str(tmp_path / "big.jsonl"))
    assert interrupted.code == 1
    assert "import interrupted after 50 of 182 write(s): run it again to complete it" in interrupted.err

    # When
    resumed = authctl_without_demo("import", str(tmp_path / "big.jsonl"))

    # Then: the re-run completes it, and a third run has nothing left to do
    assert resumed.code == 0, resumed.out + resumed.err
    assert tallies(resumed.out)["user"] == (10, 50, 0, 0), "the first 50 only lack their channel record"
    final = authctl_without_demo("import", str(tmp_path / "big.jsonl"))
    assert "nothing to change" in final.out
    assert tallies(final.out)["user"] == (0, 0, 60, 0)
    assert tallies(final.out)["grant"] == (0, 0, 60, 0)


def test_throttled_batches_are_retried(authctl_without_demo, tmp_path, store, no_backoff):
    # Given: DynamoDB throttles the first five batch writes
    users = [{"kind": "user", "username": f"t{n}@example.com", "password_hash": pbkdf2("pw")} for n in range(3)]
    (tmp_path / "few.jsonl").write_text("".join(json.dumps(line) + "\n" for line in users))
    with failing_batch_writes("ProvisionedThroughputExceededException", times=5) as calls:
        # When
        run = authctl_without_demo("import", str(tmp_path / "few.jsonl"))

    # Then
    assert run.code == 0, run.err
    assert len(calls) > 5
    assert all(store.get_user(user["username"]) for user in users)


def test_stdin_and_a_progress_bar_on_a_terminal(authctl_without_demo, tmp_path):
    # Given
    line = {"kind": "user", "username": "piped@example.com", "password_hash": pbkdf2("pw")}

    # When: read from stdin, with stderr not a terminal
    run = authctl_without_demo("import", "-", stdin=json.dumps(line) + "\n")

    # Then: a line per tenth
    assert run.code == 0, run.err
    assert "import: 2/2 writes" in run.err

    # When: on a terminal
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    progress = Progress(4, terminal)
    progress.advance(2)
    progress.advance(2)
    progress.finish()

    # Then: a bar redrawn in place
    assert terminal.getvalue().startswith("\r[" + "#" * 15 + "." * 15 + "] 2/4 writes\r[")
    assert terminal.getvalue().endswith("] 4/4 writes\n")
