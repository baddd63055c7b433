"""docker-compose.yml: the multi-host deployment shape is what DESIGN.md's scale-out path says.

The structural checks always run (PyYAML only). The `docker-compose config` check validates
the file with Debian's docker-compose 1.29.2 offline (no Docker engine needed); it is skipped
only when the tool is not installed — scripts/ensure-compose.sh installs it via apt.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tide.stack.kafka_dist import KAFKA_VERSION
from tide.stack.kafka_layout import replication_config

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

BROKERS = ("kafka-1", "kafka-2", "kafka-3")
TIDE_SERVICES = ("registry-1", "registry-2", "init", "worker", "land", "orders", "projections",
                 "sagas", "console")  # fmt: skip
REQUIRED_SERVICES = (
    *BROKERS,
    *TIDE_SERVICES,
    "minio",
    "createbuckets",
    "catalog-db",
)


def _env(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whichever of the two compose spellings it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def test_every_required_service_exists(services: dict[str, dict[str, Any]]) -> None:
    missing = [name for name in REQUIRED_SERVICES if name not in services]
    assert not missing, f"services missing from docker-compose.yml: {missing}"


def test_three_kraft_brokers_vote_for_each_other(services: dict[str, dict[str, Any]]) -> None:
    node_ids = set()
    for name in BROKERS:
        service = services[name]
        env = _env(service)
        assert service["image"] == f"apache/kafka:{KAFKA_VERSION}"
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert len(voters) == 3
        for broker in BROKERS:
            assert any(f"@{broker}:" in voter for voter in voters), (name, broker, voters)
        assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
        assert "CONTROLLER://" in env["KAFKA_LISTENERS"]
        assert f"//{name}:" in env["KAFKA_ADVERTISED_LISTENERS"]
        assert env.get("CLUSTER_ID"), f"{name} needs a CLUSTER_ID to format its KRaft storage"
        assert "healthcheck" in service, f"{name} has no healthcheck"
        node_ids.add(env["KAFKA_NODE_ID"])
        voter_ids = {voter.split("@", 1)[0] for voter in voters}
        assert env["KAFKA_NODE_ID"] in voter_ids
    assert len(node_ids) == 3, f"broker node ids must differ: {node_ids}"
    cluster_ids = {_env(services[name])["CLUSTER_ID"] for name in BROKERS}
    assert len(cluster_ids) == 1, "all brokers must share one CLUSTER_ID"


def test_replication_is_three_with_min_isr_two(services: dict[str, dict[str, Any]]) -> None:
    for name in BROKERS:
        env = _env(services[name])
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    for name in TIDE_SERVICES:
        assert _env(services[name])["TIDE_KAFKA__REPLICATION_FACTOR"] == "3", name


def test_brokers_replicate_as_the_three_node_loopback_cluster(
    services: dict[str, dict[str, Any]],
) -> None:
    """Tests on tide.stack.kafka's 3-node cluster stand for this deployment: same settings."""
    expected = {
        "KAFKA_" + key.upper().replace(".", "_"): value
        for key, value in replication_config(3).items()
    }
    for name in BROKERS:
        env = _env(services[name])
        assert {key: env.get(key) for key in expected} == expected, name


def test_tide_services_use_the_built_image_and_see_all_brokers(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in TIDE_SERVICES:
        service = services[name]
        build = service.get("build")
        assert isinstance(build, dict), f"{name} must be built from the Dockerfile"
        assert build.get("context") == "."
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
        assert (REPO_ROOT / build.get("dockerfile", "Dockerfile")).is_file()
        bootstrap = _env(service)["TIDE_KAFKA__BOOTSTRAP_SERVERS"].split(",")
        assert {server.split(":", 1)[0] for server in bootstrap} == set(BROKERS), name


def test_tide_service_commands(services: dict[str, dict[str, Any]]) -> None:
    for name in ("registry-1", "registry-2"):
        service = services[name]
        assert service["command"] == ["registry", "serve"]
        env = _env(service)
        assert env["TIDE_REGISTRY__HOST"] == "0.0.0.0"  # noqa: S104 - container bind address
        assert env["TIDE_REGISTRY__STORE"] == "kafka"  # both share the `_schemas` log
        assert env["TIDE_REGISTRY__ADVERTISED_URL"] == f"http://{name}:8081"
        assert set(service["depends_on"]) >= {"kafka-1", "kafka-2", "kafka-3"}
        assert "/subjects" in " ".join(service["healthcheck"]["test"])
    assert services["init"]["command"] == ["schema", "sync"]
    assert services["init"]["depends_on"]["registry-1"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    land = services["land"]["command"]
    assert land[:5] == ["jobs", "submit", "land", "--topic", "clicks"] and "--follow" in land
    assert land[land.index("--metrics-port") + 1] == "9310"
    assert services["land"]["restart"] == "unless-stopped"
    assert "jobs-data:/data" in services["land"]["volumes"]  # the console reads its job log
    assert "jobs-data:/data" in services["console"]["volumes"]
    for name, port in (("orders", "8093"), ("projections", "8092")):
        command = services[name]["command"]
        assert command[:2] == [name, "serve"] and command[command.index("--port") + 1] == port
        assert command[command.index("--advertise") + 1] == f"http://{name}:{port}"
    assert services["sagas"]["command"][:2] == ["sagas", "serve"]
    assert services["console"]["command"][0] == "console"
    assert services["catalog-db"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["catalog-db"]["healthcheck"]["test"])
    assert services["minio"]["image"] == "minio/minio"
    assert services["createbuckets"]["image"] == "minio/mc"


def test_depends_on_names_existing_services_with_conditions(
    services: dict[str, dict[str, Any]],
) -> None:
    allowed = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        targets = depends_on if isinstance(depends_on, list) else list(depends_on)
        for target in targets:
            assert target in services, f"{name} depends on unknown service {target!r}"
            if isinstance(depends_on, dict):
                condition = depends_on[target]["condition"]
                assert condition in allowed, (name, target, condition)
                if condition == "service_healthy":
                    assert "healthcheck" in services[target], (name, target)


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} uses undeclared volume {source!r}"


@pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose not installed (scripts/ensure-compose.sh installs it via apt)",
)
def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    resolved = yaml.safe_load(result.stdout)
    assert set(REQUIRED_SERVICES) <= set(resolved["services"]), result.stdout
    assert resolved["services"]["worker"]["deploy"]["replicas"] == 2
