"""The console's Streams section over a real window worker: per partition the watermark (as a
time and as seconds behind now) and events read, the job's dead letters, all from the worker's
/metrics; the job's group lag on its source from the broker; and its latest final window
results, read back from its output topic, for the chart. Then the same in a real browser: a
watermark that advances as events arrive, window results that appear, and the dead letter and
the late event browsed decoded with their reasons."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.streams_fixtures import StreamRig, click
from tests.integration.test_console import _chromium
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


def _console(
    broker: EmbeddedBroker, registry_url: str, tmp_path: Path, jobs_file: Path, worker_url: str
) -> tuple[ServerProcess, str]:
    env = {**environment(tmp_path, broker, registry_url),
           "TIDE_STREAMS__JOBS_FILE": str(jobs_file),
           "TIDE_CONSOLE__REFRESH_SECONDS": "0.5"}  # fmt: skip
    port = free_port()
    server = ServerProcess("console", [sys.executable, "-m", "tide", "console", "--port",
                                       str(port), "--worker", worker_url],
                           tmp_path / "console.log", env)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server.start(lambda: _answers(url + "/metrics"), timeout_s=60)
    return server, url


def _clicks_per_page(
    rig: StreamRig, source_name: str, job_name: str
) -> tuple[str, dict[str, Any], Path, int]:
    """A 2-partition source, a job counting its clicks per page, and its worker started with
    its /metrics on a port of its own: (source, spec, jobs file, web port)."""
    source = rig.source(source_name, 2)
    spec: dict[str, Any] = {
        "name": rig.name(job_name), "source": source, "time": "event_time", "key": "page",
        "window_seconds": WINDOW_S, "lateness_seconds": 2,
        "aggregations": [{"name": "clicks", "kind": "count"}],
    }  # fmt: skip
    jobs_file = rig.jobs_file(spec)
    web_port = free_port()
    rig.worker(jobs_file, spec["name"], env={"TIDE_STREAMS__WEB_PORT": str(web_port)})
    return source, spec, jobs_file, web_port


def test_streams_show_watermarks_events_dead_letters_and_group_lag(
    rig: StreamRig, broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    source, spec, jobs_file, web_port = _clicks_per_page(rig, "console_clicks", "console")
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    rig.produce(source, [(p, click(t0 + 1000 * s)) for s in range(1, 6) for p in (0, 1)])
    rig.produce_raw(source, 0, b'{"not": "avro"}')
    # one click per partition past the window's end and lateness: the first window is final
    rig.produce(source, [(p, click(t0 + 1000 * (WINDOW_S + 3))) for p in (0, 1)])

    worker_url = f"http://127.0.0.1:{web_port}/metrics"
    server, url = _console(broker, registry_url, tmp_path, jobs_file, worker_url)
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
                and job["time_ms_per_second"] is not None
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
    share = job["time_ms_per_second"]  # a caught-up job waits for input most of the time
    assert set(share) == {"busy", "idle", "backpressured"}
    assert 990 <= sum(share.values()) <= 1010 and share["idle"] > share["busy"]
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


def test_the_page_shows_a_watermark_advance_results_appear_and_decoded_dead_letters(
    rig: StreamRig, broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    """In Debian's chromium, updated by the live stream alone (no reload): the job's watermark
    advances when later events arrive, its first final window is charted, and the message
    browser shows the dead letter and the late event decoded, with the reasons in their
    headers. Screenshots of the Streams section at each step and of the browser are saved."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    source, spec, jobs_file, web_port = _clicks_per_page(rig, "page_clicks", "page")
    t0 = (int(time.time()) - 3600) // WINDOW_S * WINDOW_S * 1000
    rig.produce(source, [(p, click(t0 + 1000 * s)) for s in range(1, 4) for p in (0, 1)])
    server, url = _console(broker, registry_url, tmp_path, jobs_file,
                           f"http://127.0.0.1:{web_port}/metrics")  # fmt: skip
    shots = tmp_path / "screenshots"
    shots.mkdir()
    browser = _chromium()
    try:
        browser.get(url + "/")
        wait = WebDriverWait(
            browser, 60, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]
        )

        def watermarks() -> list[str]:
            """The watermark column of the job's partition table, as shown (read in one
            script: the live stream replaces the table meanwhile)."""
            rows = browser.execute_script(
                "return [...document.querySelectorAll('#streams .body table tr')]"
                ".map((r) => [...r.cells].map((c) => c.textContent))"
            )
            return [r[1] for r in rows if len(r) == 6 and r[0] in ("0", "1")]

        def shown(marks: Any) -> Any:
            """A wait condition: both partitions' watermarks, once each satisfies ``marks``."""

            def check(_: Any) -> list[str] | bool:
                w = watermarks()
                return len(w) == 2 and all(marks(m) for m in w) and w

            return check

        year = time.strftime("%Y-", time.gmtime(t0 / 1000))
        first = wait.until(shown(lambda m: m.startswith(year)), "the watermarks never showed")
        browser.find_element(By.ID, "streams").screenshot(str(shots / "streams-before.png"))
        # later events past the first window's end and lateness: the watermark moves on, the
        # first window fires; then an event of that window, now late, and a body no decoder reads
        rig.produce(source, [(p, click(t0 + 1000 * (WINDOW_S + 5))) for p in (0, 1)])
        advanced = wait.until(shown(lambda m: m not in first), "the watermark never advanced")
        assert all(new > old for new, old in zip(sorted(advanced), sorted(first), strict=True))
        Select(browser.find_element(By.ID, "result-job")).select_by_visible_text(spec["name"])
        try:
            wait.until(lambda b: "clicks per page" in b.find_element(By.ID, "results").text)
        except TimeoutException:
            shown_now = browser.find_element(By.ID, "results").text
            raise AssertionError(f"the final window was never charted: {shown_now}") from None
        first_window = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 / 1000))
        charted = browser.find_element(By.ID, "results").text.splitlines()
        assert f"{first_window} 1 6" in charted, charted  # one page, 3 clicks x 2 partitions
        rig.produce(source, [(0, click(t0 + 2000))])
        rig.produce_raw(source, 1, b'{"not": "avro"}')
        wait.until(lambda b: "DLQ 1" in b.find_element(By.CSS_SELECTOR, "#streams .body").text
                   and "late 1" in b.find_element(By.CSS_SELECTOR, "#streams .body").text,
                   "the dead letter and the late event were never counted")  # fmt: skip
        browser.find_element(By.ID, "streams").screenshot(str(shots / "streams-after.png"))
        for topic, reason in ((f"{source}.dlq", "tide.dlq.reason"),
                              (f"{spec['name']}.late", "tide.reason: window fired")):  # fmt: skip
            form = browser.find_element(By.ID, "browse")
            field = form.find_element(By.NAME, "topic")
            field.clear()
            field.send_keys(topic)
            form.find_element(By.TAG_NAME, "button").click()
            wait.until(
                lambda b, r=reason: r in b.find_element(By.CSS_SELECTOR, "#browser .body").text,
                f"{topic} was never shown with {reason}",
            )
            body = browser.find_element(By.CSS_SELECTOR, "#browser .body").text
            name = topic.rsplit(".", 1)[1]
            browser.find_element(By.ID, "browser").screenshot(str(shots / f"browser-{name}.png"))
            if name == "dlq":
                assert '"not": "avro"' in body and f"tide.source.topic: {source}" in body
            else:  # the late click, decoded through the registry
                assert "tide.late.window_start" in body and '"user_id"' in body
        assert not browser.find_elements(By.CSS_SELECTOR, ".error")
        print(f"screenshots in {shots}")
    finally:
        browser.quit()
        server.stop()
