"""`tide schema ...` against the real registry: sync, check with reasons, register, show, diff."""

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


def test_diff_between_versions(tmp_path: Path, registry_url: str) -> None:
    subject = "cli-diff-value"
    v1 = {"type": "record", "name": "Order", "fields": [
        {"name": "id", "type": "string"}, {"name": "qty", "type": "int"},
        {"name": "note", "type": ["null", "string"], "default": None}]}  # fmt: skip
    v2 = {"type": "record", "name": "Order", "fields": [
        {"name": "id", "type": "string"}, {"name": "qty", "type": "long"},
        {"name": "channel", "type": "string", "default": "web"}]}  # fmt: skip
    for i, schema in enumerate([v1, v2], 1):
        path = tmp_path / f"v{i}.avsc"
        path.write_text(json.dumps(schema))
        assert tide(tmp_path, registry_url, "register", subject, str(path)).returncode == 0

    text = tide(tmp_path, registry_url, "diff", subject, "1", "latest")
    assert text.returncode == 0, text.stderr
    assert "qty  type changed: int -> long" in text.stdout
    assert "channel  field added (with default)" in text.stdout
    assert "note  field removed (with default)" in text.stdout
    assert "backward (v2 reads v1 data): compatible" in text.stdout
    assert "forward (v1 reads v2 data): INCOMPATIBLE" in text.stdout

    found = json.loads(tide(tmp_path, registry_url, "diff", subject, "1", "2", "-o", "json").stdout)
    assert (found["from"], found["to"]) == (1, 2)
    assert {(c["path"], c["kind"]) for c in found["changes"]} == {
        ("qty", "type changed"), ("channel", "field added (with default)"),
        ("note", "field removed (with default)"),
    }  # fmt: skip
    assert found["backward"] == {"compatible": True, "messages": []}
    assert found["forward"]["compatible"] is False and found["forward"]["messages"]

    same = tide(tmp_path, registry_url, "diff", subject, "--", "2", "-1")
    assert "no differences" in same.stdout
    missing = tide(tmp_path, registry_url, "diff", subject, "1", "7")
    assert missing.returncode != 0
    assert "Version 7 not found" in missing.stderr


def test_json_schema_register_check_and_diff(tmp_path: Path, registry_url: str) -> None:
    subject = "cli-json-value"
    v1 = {"type": "object", "properties": {"page": {"type": "string"}}, "required": ["page"]}
    first = tmp_path / "click.json"  # .json: registered as JSON Schema
    first.write_text(json.dumps(v1))
    done = tide(tmp_path, registry_url, "register", subject, str(first), "-o", "json")
    assert done.returncode == 0, done.stderr
    stricter = tmp_path / "stricter.json"
    stricter.write_text(json.dumps({**v1, "required": ["page", "n"]}))
    refused = tide(tmp_path, registry_url, "check", subject, str(stricter), "-o", "json")
    assert refused.returncode == 1
    assert "REQUIRED_ATTRIBUTE_ADDED" in " ".join(json.loads(refused.stdout)["messages"])
    as_avro = tide(tmp_path, registry_url, "register", subject, str(first), "--type", "avro")
    assert as_avro.returncode == 1 and "invalid Avro" in as_avro.stderr
    looser = tmp_path / "looser.json"
    looser.write_text(json.dumps({**v1, "required": []}))
    assert tide(tmp_path, registry_url, "register", subject, str(looser)).returncode == 0
    found = json.loads(tide(tmp_path, registry_url, "diff", subject, "1", "2", "-o", "json").stdout)
    assert {(c["path"], c["kind"]) for c in found["changes"]} == {("#/required", "changed")}
    assert found["backward"]["compatible"] is True


def test_admin_levels_modes_deletes_and_the_listing(tmp_path: Path, registry_url: str) -> None:
    def run(*args: str) -> dict[str, object]:
        done = tide(tmp_path, registry_url, *args, "-o", "json")
        assert done.returncode == 0, done.stderr
        answer: dict[str, object] = json.loads(done.stdout)
        return answer

    subject = "admin-clicks-value"
    v1 = tmp_path / "v1.avsc"
    schema = json.loads(load("clicks").schema_str)
    v1.write_text(json.dumps(schema))
    schema["fields"].append({"name": "campaign", "type": ["null", "string"], "default": None})
    v2 = tmp_path / "v2.avsc"
    v2.write_text(json.dumps(schema))
    for version in (v1, v2):
        assert tide(tmp_path, registry_url, "register", subject, str(version)).returncode == 0

    assert run("config", subject)["compatibility"] == "BACKWARD"  # the global default
    assert run("config", subject, "full_transitive")["compatibility"] == "FULL_TRANSITIVE"
    assert run("config", subject)["compatibility"] == "FULL_TRANSITIVE"
    assert run("config")["compatibility"] == "BACKWARD"  # the global one is untouched
    bad = tide(tmp_path, registry_url, "config", subject, "sideways")
    assert bad.returncode == 1 and "unknown compatibility level 'sideways'" in bad.stderr

    assert run("mode", subject, "READONLY")["mode"] == "READONLY"
    refused = tide(tmp_path, registry_url, "register", subject, str(v1))
    assert refused.returncode == 1 and "read-only mode (error 42205)" in refused.stderr
    assert run("mode", subject, "readwrite")["mode"] == "READWRITE"

    slashed = "team/admin-clicks-value"  # Protobuf references are named like this: one segment
    assert tide(tmp_path, registry_url, "register", slashed, str(v1)).returncode == 0
    listed = tide(tmp_path, registry_url, "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["subject"]: r for r in json.loads(listed.stdout)}
    row = rows[subject]
    assert (row["versions"], row["type"], row["compatibility"]) == ("1,2", "AVRO",
                                                                     "FULL_TRANSITIVE")  # fmt: skip
    assert row["latest_id"] == run("show", subject)["id"]
    assert (rows[slashed]["versions"], rows[slashed]["latest_id"]) == (
        "1",
        run("show", slashed)["id"],
    )

    assert run("delete", subject, "2")["deleted_versions"] == [2]
    assert run("delete", subject, "2", "--permanent")["deleted_versions"] == [2]
    assert run("delete", subject, "--permanent")["deleted_versions"] == [1]
    gone = tide(tmp_path, registry_url, "show", subject)
    assert gone.returncode == 1 and "40401" in gone.stderr
