"""The function's log output as the tests see it: every JSON line Powertools writes to stdout.

Powertools' handler keeps the stdout of import time, which pytest has replaced by then; pointing
it at whatever stdout is current lets capsys capture log lines together with metrics and prints.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

import app


class CurrentStdout:
    """Whatever sys.stdout is when a line is written, as for a print(); capsys swaps it per test phase."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def capture_function_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.logger.registered_handler, "stream", CurrentStdout())


def output_lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    """(stdout split at line feeds only, as CloudWatch splits it; stderr) since the last read."""
    out, err = capsys.readouterr()
    return out.removesuffix("\n").split("\n") if out else [], err


def log_records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every stdout line since the last read, each parsed as one JSON object."""
    return [json.loads(line) for line in output_lines(capsys)[0]]
