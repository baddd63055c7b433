"""Optional basic auth: hashed passwords, 401 with a challenge, nothing stored in clear."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.api.auth import PasswordHashError, check_hashes, hash_password, verify_password
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_hashes_are_salted_and_verify() -> None:
    first, second = hash_password("s3cret", iterations=1000), hash_password("s3cret", 1000)
    assert first != second and "s3cret" not in first
    assert verify_password("s3cret", first) and verify_password("s3cret", second)
    assert not verify_password("s3cret!", first)
    with pytest.raises(PasswordHashError, match="'bob'"):
        check_hashes({"bob": "plain-password"})


def test_requests_need_valid_credentials(tmp_path: Path) -> None:
    users = {"alice": hash_password("wonderland", iterations=1000)}
    client = TestClient(create_app(Registry(SqliteSchemaStore(tmp_path / "r.sqlite")), users=users))
    for headers in [{}, basic("alice", "wrong"), basic("mallory", "wonderland"),
                    {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"}]:  # fmt: skip
        refused = client.post("/subjects/s/versions", json={"schema": '"int"'}, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic")
        assert refused.json()["error_code"] == 401
    assert client.get("/subjects", headers=basic("alice", "wonderland")).json() == []
    ok = client.post("/subjects/s/versions", json={"schema": '"int"'},
                     headers=basic("alice", "wonderland"))  # fmt: skip
    assert ok.json() == {"id": 1}
    assert client.get("/subjects", headers=basic("alice", "wonderland")).json() == ["s"]


def test_without_users_auth_is_off(tmp_path: Path) -> None:
    client = TestClient(create_app(Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))))
    assert client.get("/subjects").status_code == 200
