"""`tide schema ...` against the real registry: sync, check with reasons, register, show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from schemas.loader import load


def tide(tmp_path: Path, registry_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path), "TIDE_REGISTRY__URL": registry_url,
           "COLUMNS": "200"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "tide", "schema", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def test_check_register_show(tmp_path: Path, registry_url: str) -> None:
    schema = json.loads(load("orders").schema_str)
    subject = "cli-orders-value"
    base = tmp_path / "v1.avsc"
    base.write_text(json.dumps(schema))
    assert tide(tmp_path, registry_url, "register", subject, str(base)).returncode == 0

    breaking = tmp_path / "breaking.avsc"
    schema["fields"].append({"name": "channel", "type": "string"})
    breaking.write_text(json.dumps(schema))
    refused = tide(tmp_path, registry_url, "check", subject, str(breaking))
    assert refused.returncode == 1
    assert "incompatible: new schema cannot read version 1" in refused.stdout
    assert "channel" in refused.stdout
    register = tide(tmp_path, registry_url, "register", subject, str(breaking))
    assert register.returncode == 1
    assert "incompatible" in register.stderr
    assert "error 409" in register.stderr

    fine = tmp_path / "v2.avsc"
    schema["fields"][-1] = {"name": "channel", "type": "string", "default": "web"}
    fine.write_text(json.dumps(schema))
    assert tide(tmp_path, registry_url, "check", subject, str(fine), "-o", "json").returncode == 0
    assert tide(tmp_path, registry_url, "register", subject, str(fine)).returncode == 0
    shown = json.loads(tide(tmp_path, registry_url, "show", subject, "-o", "json").stdout)
    assert shown["version"] == 2
    assert "channel" in shown["schema"]
