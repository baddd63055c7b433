"""A scripted stream through `tide worker` on the real broker and registry, checked against a
Flink-semantics oracle: out of order within lateness, late events, an idle partition that the
others carry past its windows and that then resumes, and the last windows fired once every
partition is idle. Also: bad records go to the dead-letter topic and the worker goes on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from producers import wire
from streams.jobs.base import Timing
from tests.integration.streams_fixtures import PAGES, StreamRig, click
from tests.unit.streams.engine import Event, Oracle

WINDOW_S, LATENESS_S = 10, 2
TIMING = Timing(WINDOW_S * 1000, LATENESS_S * 1000, 0)


class Script:
    """Produces clicks and feeds the same events, in the same order, to the oracle."""

    def __init__(self, rig: StreamRig, topic: str, t0_ms: int) -> None:
        self.rig, self.topic, self.t0 = rig, topic, t0_ms
        self.oracle = Oracle(3, TIMING)
        self.values: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()

    def send(self, *events: tuple[int, float, str]) -> None:
        """(partition, seconds after t0, page) each."""
        with self._lock:
            for p, s, page in events:
                t = self.t0 + int(s * 1000)
                self.rig.produce(self.topic, [(p, click(t, page))])
                self.oracle.add(Event(p, t, page))

    @contextmanager
    def alive(self, partitions: list[int], at_s: float) -> Iterator[None]:
        """Keep ``partitions`` from going idle (events at their newest time) while waiting."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(0.4):
                self.send(*[(p, at_s, "/keepalive") for p in partitions])

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def final(self, start_s: int) -> dict[str, int]:
        start = self.t0 + start_s * 1000
        return {k: v["n"] for (w, k), v in self.oracle.finals.items() if w == start}


def finals_by_window(rig: StreamRig, topic: str, t0: int) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for records in rig.finals(topic).values():
        r = rig.decoder.decode(records[0].value)
        start_s = (int(r["window_start"].timestamp() * 1000) - t0) // 1000
        out.setdefault(start_s, {})[r["page"]] = r["clicks"]
    return out


def job(rig: StreamRig, source: str) -> dict[str, Any]:
    return {
        "name": rig.name("sem"),
        "source": source,
        "time": "event_time",
        "key": "page",
        "window_seconds": WINDOW_S,
        "lateness_seconds": LATENESS_S,
        "aggregations": [{"name": "clicks", "kind": "count"}],
    }


def test_scripted_stream_gives_exactly_the_oracles_windows_and_late_events(rig: StreamRig) -> None:
    source = rig.source("sem_clicks", 3)
    spec = job(rig, source)
    rig.worker(rig.jobs_file(spec), spec["name"], idle_s=3.0)
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    script = Script(rig, source, t0)
    out = spec["name"]

    def windows() -> dict[int, dict[str, int]]:
        return finals_by_window(rig, out, t0)

    # 1. in order and out of order within lateness, on three partitions
    for p in range(3):
        script.send(
            *[
                (p, s, page)
                for s, page in [
                    (1, "/"),
                    (3, "/cart"),
                    (8, "/"),
                    (5, "/"),
                    (12, "/cart"),
                    (15, "/"),
                    (11, "/"),
                    (25, "/"),
                    (21, "/help"),
                    (33, "/"),
                ]
            ]
        )
    with script.alive([0, 1, 2], 33):
        rig.wait_for("windows 0-30 s", lambda: {0, 10, 20} <= set(windows()), 60)
        # 2. late: their windows have fired everywhere
        script.send((1, 4, "/"), (0, 28, "/cart"))
        # 3. partition 2 goes silent; 0 and 1 go on, and carry it past window 30
        script.send((0, 35, "/"), (1, 36, "/"), (0, 41, "/"), (1, 45, "/"))
    with script.alive([0, 1], 45):
        script.oracle.idle(2)
        rig.wait_for("window 30 s, partition 2 idle", lambda: 30 in windows(), 60)
        # 4. partition 2 resumes: window 40 has not fired (counts), window 30 has (late)
        script.send((2, 44, "/"), (2, 38, "/"))
    script.send((0, 47, "/"), (1, 47, "/search"))
    # 5. everything idle: the last window fires
    script.oracle.end()
    expected = {s: script.final(s) for s in (0, 10, 20, 30, 40)}
    rig.wait_for("window 40 s", lambda: windows().get(40) == expected[40], 60)
    assert windows() == expected
    late = rig.read(rig.name("sem") + ".late")
    produced_late = sorted((e.partition, e.t - t0) for e in script.oracle.late)
    assert produced_late == [(0, 28_000), (1, 4_000), (2, 38_000)]
    assert (
        sorted(
            (
                int(r.headers["tide.source.partition"]),
                rig.decoder.decode(r.value)["event_time"].timestamp() * 1000 - t0,
            )
            for r in late
        )
        == produced_late
    )
    for r in late:
        assert r.headers["tide.reason"] == b"window fired"
        assert {"tide.late.window_start", "tide.late.watermark"} <= set(r.headers)


def test_bad_records_go_to_the_dead_letter_topic_and_the_worker_goes_on(rig: StreamRig) -> None:
    source = rig.source("dlq_clicks", 2)
    spec = job(rig, source)
    spec["name"] = rig.name("dlq")
    rig.worker(rig.jobs_file(spec), spec["name"], idle_s=2.0)
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    rig.produce(source, [(0, click(t0 + 1000)), (1, click(t0 + 2000))])
    rig.produce_raw(source, 0, b'{"not": "avro"}')
    rig.produce_raw(source, 1, wire.header(987_654) + b"\x00")
    rig.produce(source, [(0, click(int(time.time() * 1000) + 7 * 86_400_000))])  # a week ahead
    rig.produce(source, [(0, click(t0 + 3000)), (1, click(t0 + 4000))])
    dlq = source + ".dlq"
    rig.wait_for("three dead letters", lambda: len(rig.read(dlq)) >= 3, 60)
    reasons = sorted(r.headers["tide.dlq.reason"].decode() for r in rig.read(dlq))
    assert len(reasons) == 3
    assert "ahead of the wall clock" in reasons[0]
    assert "unknown magic byte 123" in reasons[1]
    assert "unknown schema id 987654" in reasons[2]
    rig.wait_for(
        "the good clicks counted",
        lambda: (
            sum(v for w in finals_by_window(rig, spec["name"], t0).values() for v in w.values())
            == 4
        ),
        60,
    )


def test_early_updates_come_before_the_one_final_record(
    rig: StreamRig, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params["data_broker"] == "kafka":
        pytest.skip("window logic, not the broker's: runs on the embedded broker (CI budget)")
    source = rig.source("early_clicks", 2)
    spec = {**job(rig, source), "name": rig.name("early"), "early_every_seconds": 0.5}
    rig.worker(rig.jobs_file(spec), spec["name"], idle_s=10.0)  # idle would fire the window
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    rig.produce(source, [(p, click(t0 + 1000 * s)) for s in (1, 2, 3) for p in (0, 1)])

    def kinds() -> list[tuple[str, int]]:
        return [(r["emit"], r["clicks"]) for r in rig.decoded(rig.read(spec["name"]))]

    rig.wait_for("an early update", lambda: ("EARLY", 6) in kinds(), 60)
    rig.produce(source, [(p, click(t0 + 1000 * s)) for s in (4, 5) for p in (0, 1)])
    rig.wait_for("the final record", lambda: ("FINAL", 10) in kinds(), 60)
    seen = kinds()
    assert seen.count(("FINAL", 10)) == 1
    assert all(kind == "EARLY" for kind, _ in seen[: seen.index(("FINAL", 10))])
    assert [k for k in seen if k[0] == "FINAL"] == [("FINAL", 10)]


def test_a_partition_draining_a_backlog_is_not_idle(rig: StreamRig) -> None:
    """A very short idle timeout, a backlog read partition by partition: nothing may be late."""
    n = 40_000
    source = rig.source("backlog_clicks", 4)
    spec = {
        **job(rig, source),
        "name": rig.name("backlog"),
        "window_seconds": 60,
        "lateness_seconds": 10,
    }
    start = int(time.time() * 1000) - 600_000
    events = [
        (p, click(start + i * 15 + (-8_000 if i % 20 == 0 else 0), PAGES[i % 4]))
        for i in range(n)
        for p in [i % 4]
    ]
    rig.produce(source, events)  # all of it before the worker starts
    rig.worker(
        rig.jobs_file(spec),
        spec["name"],
        idle_s=0.3,
        env={"TIDE_STREAMS__CHECKPOINT_INTERVAL_SECONDS": "5"},
    )

    def counted() -> int:
        return sum(
            rig.decoder.decode(r[0].value)["clicks"] for r in rig.finals(spec["name"]).values()
        )

    rig.wait_for("every click in a window", lambda: counted() == n, 120)
    assert rig.read(spec["name"] + ".late") == []


def test_partitions_that_never_get_an_event_do_not_hold_windows_back(rig: StreamRig) -> None:
    source = rig.source("sparse_clicks", 4)
    spec = {**job(rig, source), "name": rig.name("sparse")}
    rig.worker(rig.jobs_file(spec), spec["name"], idle_s=2.0)
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    rig.produce(source, [(0, click(t0 + 1000 * s)) for s in (1, 2, 3, 15, 25)])

    def windows() -> dict[int, dict[str, int]]:
        return finals_by_window(rig, spec["name"], t0)

    rig.wait_for("every window, partitions 1-3 empty", lambda: 20 in windows(), 60)
    assert windows() == {0: {"/": 3}, 10: {"/": 1}, 20: {"/": 1}}
