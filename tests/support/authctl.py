"""authctl as the tests run it: in-process, with stdin they choose, its exit code and output captured."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from tools.admin import authctl


class Terminal(io.StringIO):
    """stdin as an interactive terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_authctl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "", tty: bool = False
) -> Run:
    """authctl.main(argv) with `stdin` (a terminal when `tty`); never a traceback."""
    monkeypatch.setattr(sys, "stdin", Terminal(stdin) if tty else io.StringIO(stdin))
    try:
        code = authctl.main(list(argv))
    except SystemExit as exit_:  # argparse refusing the command line
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return Run(code, out, err)
