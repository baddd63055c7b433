"""The `tide` entry point: its version, shell completion, and bad input as one line."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def tide(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tide", *args],
        env={**os.environ, **(env or {})},
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


def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = tide("produce", "clicks", "-n", "1", env={"TIDE_KAFKA__PARTITIONS": "abc"})
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: bad setting TIDE_KAFKA__PARTITIONS='abc'"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_topic_without_a_schema_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    lines = tmp_path / "x.jsonl"
    lines.write_text("{}\n")
    result = tide("produce", "file", str(lines), "--topic", "nosuch")
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no schema for topic 'nosuch' (known: clicks"), result.stderr
