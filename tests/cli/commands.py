"""Helpers the command-line tests share."""
from __future__ import annotations

from ltrr.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``ltrr ARGV``: exit code, stdout and stderr; never a traceback."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err
