"""Apache Kafka in KRaft mode on loopback: N nodes, each a combined broker and controller.

The real broker beside the embedded one (Tansu, ``tide.stack.broker``): the same Kafka
protocol, plus what Tansu does not give — replication, leader failover, transactions and
storage that survives a restart. Each node is a ``java kafka.Kafka`` child process; the jars
come from ``make kafka`` (``tide.stack.kafka_dist``). Ports, the cluster id and the data live
in ``data_dir`` (see ``tide.stack.kafka_layout``), so a cluster built again on the same folder
reuses its formatted storage and its ports.

Topics are created on first use (``auto.create.topics.enable=true``, Kafka's default), as the
embedded broker does: a produce to an unknown topic on Tansu creates it. Tide creates its own
topics explicitly anyway; the multi-host ``docker-compose.yml`` turns auto-creation off.

Readiness is a condition, never a sleep: a node is up when its metadata lists every node
expected up, and the cluster is up when, in addition, it names a controller.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tide.stack.errors import KafkaUnavailableError, StackError
from tide.stack.kafka_dist import (
    java_binary,
    kafka_classpath,
    kafka_unavailable_reason,
    log4j_config,
)
from tide.stack.kafka_layout import HOST, load_or_create, node_properties, write_properties
from tide.stack.process import ServerProcess

# JIT with C1 only: on a 2-CPU machine three nodes start in ~11 s instead of ~22 s, for about a
# third less peak throughput (one node, acks=all, 100-byte records: ~230k/s instead of ~350k/s
# once warm). Start time is what a loopback cluster is waited on for; pass () to get C2 back.
QUICK_START_JVM = ("-XX:TieredStopAtLevel=1",)


def broker_ids(bootstrap_servers: str, timeout_s: float = 1.0) -> set[int] | None:
    """Broker ids listed by the metadata at ``bootstrap_servers``; None if it does not answer."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    try:
        return set(admin.list_topics(timeout=timeout_s).brokers)
    except KafkaException:
        return None


def controller_known(bootstrap_servers: str, timeout_s: float = 2.0) -> bool:
    """True when the cluster at ``bootstrap_servers`` names a controller."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    try:
        found = admin.describe_cluster(request_timeout=timeout_s).result(timeout=timeout_s + 1)
    except (KafkaException, TimeoutError):
        return False
    return found.controller is not None


def _wait_for(condition: Callable[[], bool], deadline: float, what: str) -> None:
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)  # polling interval of the condition, not a sync sleep
    raise StackError(f"Kafka: {what}")


class KafkaCluster:
    """``nodes`` Kafka nodes on free loopback ports (node 0's client port fixed if given)."""

    def __init__(
        self,
        data_dir: Path,
        nodes: int = 1,
        heap_mb: int = 384,
        extra_config: dict[str, str] | None = None,
        node0_port: int | None = None,
        jvm_options: Sequence[str] = QUICK_START_JVM,
    ) -> None:
        reason = kafka_unavailable_reason()
        java = java_binary()
        if reason is not None or java is None:
            raise KafkaUnavailableError(reason or "java not found")
        if nodes < 1:
            raise StackError(f"a Kafka cluster needs at least one node, not {nodes}")
        self.data_dir = data_dir
        self.layout = load_or_create(data_dir, nodes, node0_port)
        self._java = java
        self._heap_mb = heap_mb
        self._extra = dict(extra_config or {})
        self._jvm_options = list(jvm_options)
        self._processes: list[ServerProcess | None] = [None] * nodes

    # ------------------------------------------------------------------ where it is

    @property
    def nodes(self) -> int:
        return len(self.layout.nodes)

    @property
    def cluster_id(self) -> str:
        return self.layout.cluster_id

    @property
    def bootstrap_servers(self) -> str:
        """Every node's client address, comma-separated."""
        return ",".join(self.node_bootstrap(i) for i in range(self.nodes))

    def node_bootstrap(self, index: int) -> str:
        return f"{HOST}:{self.layout.nodes[index].port}"

    def node_id(self, index: int) -> int:
        """The broker id (``node.id``) of node ``index``, as metadata names it."""
        return self.layout.nodes[index].node_id

    def index_of(self, node_id: int) -> int:
        """The index of the node whose broker id is ``node_id``."""
        for index, node in enumerate(self.layout.nodes):
            if node.node_id == node_id:
                return index
        raise StackError(f"no Kafka node has id {node_id}")

    def running(self, index: int) -> bool:
        process = self._processes[index]
        return process is not None and process.running

    def alive(self) -> bool:
        """Every node runs."""
        return all(self.running(i) for i in range(self.nodes))

    @property
    def pid(self) -> int | None:
        """The first node's process id."""
        process = self._processes[0]
        return None if process is None else process.pid

    def _node_dir(self, index: int) -> Path:
        return self.data_dir / f"node-{self.node_id(index)}"

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout_s: float = 120.0) -> None:
        """Format storage (first time only), start every node, wait until the cluster is up."""
        deadline = time.monotonic() + timeout_s
        self._format_storage(timeout_s)
        every = {self.node_id(i) for i in range(self.nodes)}
        try:
            self._parallel(lambda i: self._start_node(i, every, timeout_s), range(self.nodes))
            _wait_for(
                lambda: controller_known(self.bootstrap_servers),
                deadline,
                f"no controller elected after {timeout_s:.0f}s",
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM every node at once (each shuts down cleanly) and wait for them to exit."""
        running = [i for i in range(self.nodes) if self.running(i)]
        self._parallel(lambda i: self._stop_node(i), running)

    def kill(self, index: int) -> None:
        """SIGKILL node ``index``, as a crash would."""
        process = self._processes[index]
        if process is not None:
            process.kill()

    def restart(self, index: int, timeout_s: float = 60.0) -> None:
        """Start node ``index`` again and wait until every running node's metadata lists it."""
        if self.running(index):
            raise StackError(f"Kafka node {self.node_id(index)} is still running")
        deadline = time.monotonic() + timeout_s
        expected = {self.node_id(i) for i in range(self.nodes) if self.running(i)}
        expected.add(self.node_id(index))
        self._start_node(index, expected, timeout_s)
        _wait_for(
            lambda: all(self._sees(i, expected) for i in range(self.nodes) if self.running(i)),
            deadline,
            f"node {self.node_id(index)} has not rejoined after {timeout_s:.0f}s",
        )

    def __enter__(self) -> KafkaCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ one node

    def _sees(self, index: int, expected: set[int]) -> bool:
        found = broker_ids(self.node_bootstrap(index))
        return found is not None and expected <= found

    def _write_properties(self, index: int) -> Path:
        node_dir = self._node_dir(index)
        props = node_dir / "server.properties"
        write_properties(props, node_properties(self.layout, index, node_dir / "data", self._extra))
        return props

    def _start_node(self, index: int, expected: set[int], timeout_s: float) -> None:
        node_dir = self._node_dir(index)
        props = self._write_properties(index)
        log_path = node_dir / "server.log"
        if log_path.exists():  # keep the previous run's log (a crash's last words)
            log_path.replace(node_dir / "server.log.previous")
        process = ServerProcess(
            f"kafka-node-{self.node_id(index)}",
            self._java_argv(f"-Xmx{self._heap_mb}m", "kafka.Kafka", str(props)),
            log_path,
            dict(os.environ),
        )
        self._processes[index] = process
        process.start(lambda: self._sees(index, expected), timeout_s)

    def _stop_node(self, index: int) -> None:
        process = self._processes[index]
        if process is not None:
            process.stop(timeout_s=30.0)

    def _java_argv(self, heap: str, main: str, *args: str) -> list[str]:
        return [
            self._java,
            heap,
            *self._jvm_options,
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j_config()}",
            "-cp",
            kafka_classpath(),
            main,
            *args,
        ]

    def _format_storage(self, timeout_s: float) -> None:
        """Format each node's log dir with the cluster id, unless it already is."""
        todo = [i for i in range(self.nodes) if not self._formatted(i)]
        self._parallel(lambda i: self._format_node(i, timeout_s), todo)

    def _formatted(self, index: int) -> bool:
        return (self._node_dir(index) / "data" / "meta.properties").exists()

    def _format_node(self, index: int, timeout_s: float) -> None:
        props = self._write_properties(index)
        argv = self._java_argv(
            "-Xmx256m", "kafka.tools.StorageTool", "format", "-t", self.cluster_id, "-c", str(props)
        )
        try:
            result = subprocess.run(  # noqa: S603 - argv is built by us, not a shell
                argv, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise StackError(f"formatting Kafka node {self.node_id(index)} timed out") from e
        if result.returncode != 0:
            tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
            raise StackError(f"formatting Kafka node {self.node_id(index)} failed: {tail}")

    @staticmethod
    def _parallel(work: Callable[[int], None], indexes: Iterable[int]) -> None:
        """Run ``work`` on every index at once; re-raise the first failure after all finish."""
        todo = list(indexes)
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=len(todo)) as pool:
            futures = [pool.submit(work, i) for i in todo]
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error
