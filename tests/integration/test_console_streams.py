"""The console's Streams section over a real window worker: per partition the watermark (as a
time and as seconds behind now) and events read, the job's dead letters, all from the worker's
/metrics; the job's group lag on its source from the broker; and its latest final window
results, read back from its output topic, for the chart."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.streams_fixtures import StreamRig, click
from tests.integration.test_operator_tools import environment
from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port
from tide.stack.process import ServerProcess

WINDOW_S = 10


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def rig(broker: EmbeddedBroker, registry_url: str, tmp_path: Path) -> Iterator[StreamRig]:
    instance = StreamRig(broker.bootstrap_servers, registry_url, tmp_path)
    yield instance
    instance.close()


def test_streams_show_watermarks_events_dead_letters_and_group_lag(
    rig: StreamRig, broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    source = rig.source("console_clicks", 2)
    spec = {"name": rig.name("console"), "source": source, "time": "event_time", "key": "page",
            "window_seconds": WINDOW_S, "lateness_seconds": 2,
            "aggregations": [{"name": "clicks", "kind": "count"}]}  # fmt: skip
    jobs_file = rig.jobs_file(spec)
    web_port = free_port()
    rig.worker(jobs_file, spec["name"], env={"TIDE_STREAMS__WEB_PORT": str(web_port)})
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    rig.produce(source, [(p, click(t0 + 1000 * s)) for s in range(1, 6) for p in (0, 1)])
    rig.produce_raw(source, 0, b'{"not": "avro"}')
    # one click per partition past the window's end and lateness: the first window is final
    rig.produce(source, [(p, click(t0 + 1000 * (WINDOW_S + 3))) for p in (0, 1)])

    env = {**environment(tmp_path, broker, registry_url),
           "TIDE_STREAMS__JOBS_FILE": str(jobs_file)}  # fmt: skip
    port = free_port()
    worker_url = f"http://127.0.0.1:{web_port}/metrics"
    server = ServerProcess("console", [sys.executable, "-m", "tide", "console", "--port",
                                       str(port), "--worker", worker_url],
                           tmp_path / "console.log", env)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server.start(lambda: _answers(url + "/metrics"), timeout_s=60)
    try:
        shown: dict[str, Any] = {}

        def caught_up() -> bool:
            shown.update(httpx.get(url + "/api/streams", timeout=30).json())
            jobs = {j["job"]: j for w in shown["workers"] for j in w["jobs"]}
            job = jobs.get(spec["name"])
            group = {g["job"]: g for g in shown["groups"]}.get(spec["name"])
            return (
                job is not None
                and sum(p["events_in"] or 0 for p in job["partitions"]) >= 11
                and job["dead_letters"] == 1
                and group is not None
                and sum(p["committed"] or 0 for p in group["partitions"]) >= 11
            )

        rig.wait_for("the job in the console", caught_up, 60, lambda: str(shown))
        charted: dict[str, Any] = {}

        def final_window() -> bool:
            answer = httpx.get(f"{url}/api/streams/{spec['name']}/results", timeout=30)
            charted.update(answer.json())
            return answer.status_code == 200 and bool(charted["windows"])

        rig.wait_for("the final window in the console", final_window, 60, lambda: str(charted))
        unknown = httpx.get(f"{url}/api/streams/no_such_job/results", timeout=30)
        assert unknown.status_code == 404 and "no window job" in unknown.json()["message"]
    finally:
        server.stop()

    job = next(j for w in shown["workers"] for j in w["jobs"] if j["job"] == spec["name"])
    assert shown["workers"][0]["url"] == worker_url
    assert job["checkpoints"] >= 1
    assert job["checkpoint_mean_ms"] > 0
    for partition in job["partitions"]:
        assert partition["watermark"].startswith(time.strftime("%Y-", time.gmtime(t0 / 1000)))
        assert 3000 < partition["behind_s"] < 3700
    group = next(g for g in shown["groups"] if g["job"] == spec["name"])
    assert group["group"] == f"tide-{spec['name']}"
    assert {p["partition"]: p["lag"] for p in group["partitions"]} == {0: 0, 1: 0}
    assert shown["groups_error"] is None
    window = charted["windows"][0]  # the window of t0, with its 10 clicks over both partitions
    assert (charted["measure"], charted["key"]) == ("clicks", "page")
    assert window["total"] == 10 and sum(t["value"] for t in window["top"]) == 10
    assert window["window_start"].startswith(time.strftime("%Y-", time.gmtime(t0 / 1000)))
