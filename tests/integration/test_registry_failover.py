"""The Kafka-backed registry: a primary killed or paused mid-registration never costs an
acknowledged registration and never lets an id name two schemas."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.registry_cluster import Cluster, await_value

COUNT = 120
KILL_AFTER = 30
BIG = os.environ.get("TIDE_CHAOS") == "1"
FREEZES = 6 if BIG else 1
WRITERS = 8 if BIG else 4


def schema(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "f", "type": "int"}]})


@pytest.fixture
def cluster(fresh_data_broker: Any, tmp_path: Path) -> Iterator[Cluster]:
    """On the embedded broker, then on Apache Kafka."""
    group = Cluster(fresh_data_broker.bootstrap_servers, tmp_path)
    for _ in range(3):
        group.add()
    yield group
    group.stop()


def register_until_acknowledged(cluster: Cluster, i: int, turn: Iterator[int]) -> int:
    """Like a client with retries: any live member, again on connection errors and 5xx."""
    body = {"schema": schema(f"R{i}")}
    for _attempt in range(400):
        members = cluster.alive
        member = members[next(turn) % len(members)]
        try:
            answer = httpx.post(f"{member.url}/subjects/sub-{i}/versions", json=body, timeout=10)
        except httpx.HTTPError:
            continue
        if answer.status_code == 200:
            return int(answer.json()["id"])
        assert answer.status_code >= 500, answer.text  # only "retry later" answers
        threading.Event().wait(0.05)  # client backoff between retries
    raise AssertionError(f"registration {i} never acknowledged")


def everything(url: str) -> list[tuple[str, int, int, str]]:
    found = httpx.get(f"{url}/schemas", timeout=5).json()
    return [(s["subject"], s["version"], s["id"], s["schema"]) for s in found]


def test_kill_minus_nine_of_the_primary_mid_registration(cluster: Cluster) -> None:
    first_primary = cluster.primary()
    acknowledged: dict[int, int] = {}
    enough = threading.Event()
    turn = itertools.count()

    def one(i: int) -> None:
        acknowledged[i] = register_until_acknowledged(cluster, i, turn)
        if len(acknowledged) >= KILL_AFTER:
            enough.set()

    with ThreadPoolExecutor(4) as pool:
        futures: list[Future[None]] = [pool.submit(one, i) for i in range(COUNT)]
        assert enough.wait(60)
        cluster.member(first_primary).process.kill()  # kill -9 while registrations are in flight
        for future in futures:
            future.result(timeout=120)

    survivors = cluster.alive
    new_primary = cluster.primary(survivors, not_url=first_primary)
    assert new_primary != first_primary
    assert len(acknowledged) == COUNT
    assert len(set(acknowledged.values())) == COUNT  # distinct schemas, distinct ids

    expected = sorted(
        (f"sub-{i}", 1, schema_id, json.dumps(json.loads(schema(f"R{i}")),  # Avro's order
                                              separators=(",", ":")))
        for i, schema_id in acknowledged.items()
    )  # fmt: skip
    late = cluster.add()  # a new instance rebuilds everything from the log alone
    for member in [*survivors, late]:
        seen = await_value(
            lambda m=member: (lambda got: got if len(got) == COUNT else None)(everything(m.url)),
            30, f"{member.url} to replay all registrations",
        )  # fmt: skip
        assert sorted(seen) == expected


def test_a_paused_primary_that_wakes_up_cannot_assign_an_id(cluster: Cluster) -> None:
    old = cluster.primary()
    paused = cluster.member(old)
    others = [m for m in cluster.alive if m is not paused]
    assert paused.process.pid is not None
    os.kill(paused.process.pid, signal.SIGSTOP)
    try:
        new = cluster.primary(others, not_url=old)
        results: dict[str, httpx.Response] = {}

        def stale_write() -> None:  # reaches the paused primary's socket while it sleeps
            results["stale"] = httpx.post(
                f"{old}/subjects/stale/versions", json={"schema": schema("Stale")},
                headers={"X-Tide-Forwarded": "test"}, timeout=30,
            )  # fmt: skip

        writer = threading.Thread(target=stale_write)
        writer.start()
        ids = [
            httpx.post(f"{new}/subjects/fresh-{i}/versions", json={"schema": schema(f"F{i}")},
                       timeout=10).json()["id"]
            for i in range(3)
        ]  # fmt: skip
    finally:
        os.kill(paused.process.pid, signal.SIGCONT)
    writer.join(30)
    refused = results["stale"]
    assert refused.status_code == 500, refused.text
    # fenced (50003: it wrote, the log refused it) or it saw the new primary first (50003/50004)
    assert refused.json()["error_code"] in (50003, 50004), refused.text
    assert len(set(ids)) == 3

    # once awake, the old primary follows the new one and agrees on every id
    assert cluster.primary(cluster.alive) == new
    views = [
        await_value(lambda m=m: (lambda got: got if len(got) == 3 else None)(everything(m.url)),
                    30, f"{m.url} to catch up")
        for m in cluster.alive
    ]  # fmt: skip
    assert views[0] == views[1] == views[2]
    assert sorted(row[2] for row in views[0]) == sorted(ids)
    assert "stale" not in {row[0] for row in views[0]}
    for member in cluster.alive:
        gauges = httpx.get(f"{member.url}/metrics", timeout=5).text
        assert f"registry_is_primary {1.0 if member.url == new else 0.0}" in gauges


def test_writes_through_a_follower_go_on_while_the_primary_is_frozen(cluster: Cluster) -> None:
    """A forward already sent to a primary that freezes is sent again to the one elected next:
    writes do not wait for the frozen process to wake up. (``make chaos``: 6 freezes, 8
    writers.)"""
    ids: list[int] = []
    for round_ in range(FREEZES):
        old = cluster.primary()
        frozen = cluster.member(old)
        follower = next(m for m in cluster.alive if m is not frozen)
        assert frozen.process.pid is not None
        os.kill(frozen.process.pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(WRITERS) as pool:  # in flight to the frozen primary
                writes = [
                    pool.submit(httpx.post,
                                f"{follower.url}/subjects/during-{round_}-{i}/versions",
                                json={"schema": schema(f"D{round_}x{i}")}, timeout=60)
                    for i in range(WRITERS)
                ]  # fmt: skip
                answers = [write.result(timeout=60) for write in writes]
            still_frozen = not _woke(frozen.process.pid)
        finally:
            os.kill(frozen.process.pid, signal.SIGCONT)
        assert still_frozen
        assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
        ids += [a.json()["id"] for a in answers]
        assert cluster.primary(cluster.alive) != old
    assert len(set(ids)) == len(ids)
    for member in cluster.alive:  # once awake, the old primaries agree on every write
        seen = await_value(
            lambda m=member: (lambda got: got if len(got) == len(ids) else None)(everything(m.url)),
            30, f"{member.url} to catch up",
        )  # fmt: skip
        assert sorted(row[2] for row in seen) == sorted(ids)


def _woke(pid: int) -> bool:
    """Whether a SIGSTOPped process runs again (state T = stopped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0] != "T"


def test_an_instance_restarted_at_its_address_never_names_its_predecessor(
    cluster: Cluster,
) -> None:
    """The log's last claim carries the restarted instance's own URL under its dead
    predecessor's id: the primary is told by id, so it neither forwards writes to itself nor
    waits out the dead one's lease."""
    old = cluster.primary()
    dead = cluster.member(old)
    others = [m for m in cluster.alive if m is not dead]
    for member in others:  # so that nobody else takes over meanwhile
        os.kill(member.process.pid or 0, signal.SIGSTOP)
    try:
        dead.process.kill()
        restarted = cluster.add(int(old.rsplit(":", 1)[1]))
        views: list[dict[str, Any]] = []

        def settled() -> dict[str, Any] | None:
            view = httpx.get(f"{restarted.url}/v1/metadata/primary", timeout=2).json()
            views.append(view)
            return view if view["is_primary"] else None

        await_value(settled, 30, "the restarted instance to take over")
        answer = httpx.post(f"{restarted.url}/subjects/after-restart/versions",
                            json={"schema": schema("AfterRestart")}, timeout=30)  # fmt: skip
    finally:
        for member in others:
            os.kill(member.process.pid or 0, signal.SIGCONT)
    assert all(v["is_primary"] or v["primary"] != restarted.url for v in views), views
    assert answer.status_code == 200, answer.text
    assert cluster.primary(cluster.alive) == restarted.url
