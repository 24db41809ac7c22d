"""authctl as the tests run it: in this process, against the tables the environment names, output captured."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from livekit_authctl import cli as authctl


@dataclass
class Run:
    code: int
    out: str
    err: str


class Terminal(io.StringIO):
    """stdin as an interactive terminal."""

    def isatty(self) -> bool:
        return True


def authctl_runner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """run(*argv, stdin="", tty=False) -> Run: authctl against the tables USERS_TABLE etc. name."""

    def run(*argv: str, stdin: str = "", tty: bool = False) -> Run:
        monkeypatch.setattr(sys, "stdin", Terminal(stdin) if tty else io.StringIO(stdin))
        try:
            code = authctl.main(list(argv))
        except SystemExit as exit_:  # argparse refusing the command line
            code = exit_.code
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Run(code, out, err)

    return run
