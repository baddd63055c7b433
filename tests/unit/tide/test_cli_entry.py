"""The `tide` entry point: its version, and shell completion offered."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def tide(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tide", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_is_the_installed_one() -> None:
    result = tide("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tide {version('tide')}"


def test_completion_can_be_installed() -> None:
    result = tide("--help")
    assert result.returncode == 0, result.stderr
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout
