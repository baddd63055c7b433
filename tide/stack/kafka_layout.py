"""The shape of a loopback Kafka cluster on disk: its id, ports and each node's properties.

``<data_dir>/cluster.json`` keeps the cluster id and every node's ports, so a cluster started
again on the same folder finds its formatted storage and answers where it did before.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tide.stack.errors import StackError
from tide.stack.ports import free_port

HOST = "127.0.0.1"
LAYOUT_FILE = "cluster.json"


@dataclass(frozen=True)
class NodePorts:
    """Where one combined broker+controller node listens."""

    node_id: int
    port: int
    controller_port: int


@dataclass(frozen=True)
class Layout:
    """What stays fixed across restarts of one cluster."""

    cluster_id: str
    nodes: tuple[NodePorts, ...]


def random_cluster_id() -> str:
    """A KRaft cluster id as Kafka's ``Uuid.randomUuid`` makes it (base64url, no leading '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _distinct_free_ports(count: int, taken: set[int]) -> list[int]:
    found: list[int] = []
    while len(found) < count:
        port = free_port(HOST)
        if port not in taken and port not in found:
            found.append(port)
    return found


def new_layout(nodes: int, node0_port: int | None) -> Layout:
    """A fresh cluster id and free loopback ports (node 0's client port fixed if given)."""
    taken = {node0_port} if node0_port else set()
    ports = _distinct_free_ports(2 * nodes, taken)
    if node0_port:
        ports[0] = node0_port
    return Layout(
        random_cluster_id(),
        tuple(NodePorts(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(nodes)),
    )


def load_or_create(data_dir: Path, nodes: int, node0_port: int | None) -> Layout:
    """The layout saved in ``data_dir``, else a new one, saved before it is returned."""
    path = data_dir / LAYOUT_FILE
    if path.is_file():
        layout = _load(path)
        if len(layout.nodes) != nodes:
            raise StackError(
                f"{data_dir} holds a {len(layout.nodes)}-node Kafka cluster, not {nodes} nodes"
            )
        if not node0_port or layout.nodes[0].port == node0_port:
            return layout
        first = replace(layout.nodes[0], port=node0_port)  # the configured port wins
        layout = replace(layout, nodes=(first, *layout.nodes[1:]))
    else:
        layout = new_layout(nodes, node0_port)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(layout), indent=2) + "\n", encoding="utf-8")
    return layout


def _load(path: Path) -> Layout:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        nodes = tuple(NodePorts(**node) for node in raw["nodes"])
        return Layout(str(raw["cluster_id"]), nodes)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StackError(f"unreadable Kafka cluster layout {path}: {e}") from e


def replication_config(nodes: int) -> dict[str, str]:
    """Replication 3 and min ISR 2 from three nodes on (as docker-compose.yml), else all 1."""
    factor = min(nodes, 3)
    min_isr = 2 if factor >= 3 else 1
    return {
        "default.replication.factor": str(factor),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(factor),
        "transaction.state.log.replication.factor": str(factor),
        "transaction.state.log.min.isr": str(min_isr),
        "share.coordinator.state.topic.replication.factor": str(factor),
        "share.coordinator.state.topic.min.isr": str(min_isr),
    }


def node_properties(
    layout: Layout, index: int, log_dir: Path, extra: Mapping[str, str]
) -> dict[str, str]:
    """The ``server.properties`` of node ``index``: KRaft, combined roles, loopback only."""
    node = layout.nodes[index]
    voters = ",".join(f"{n.node_id}@{HOST}:{n.controller_port}" for n in layout.nodes)
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{HOST}:{node.port},CONTROLLER://{HOST}:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{node.port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(log_dir),
        "auto.create.topics.enable": "true",
        "group.initial.rebalance.delay.ms": "0",
        # A local cluster: few internal partitions, so the first group or transaction is quick.
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.num.partitions": "5",
        **replication_config(len(layout.nodes)),
    }
    return {**props, **extra}


def write_properties(path: Path, props: Mapping[str, str]) -> None:
    """Write ``props`` as a Java properties file (our values need no escaping)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={value}" for key, value in props.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
