"""`tide console` as a real process over the real broker, registry and lake: produced Avro
records are listed with their end offsets, browsed decoded, a group's lag is shown, the landed
table has its rows, the SQL box runs a SELECT and refuses a DROP, the subject is listed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition

from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from registry.api.auth import hash_password
from schemas.loader import load
from tests.integration.test_operator_tools import (
    T0,
    click,
    environment,
    new_topic,
    ok,
    produce,
    tide,
)
from tide.ops.record_view import iso_ms
from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port
from tide.stack.process import ServerProcess

RECORDS = 12
PASSWORD = "s3cret"  # noqa: S105 - a test user's, "ops": who may submit and cancel jobs


@dataclass(frozen=True)
class Console:
    url: str
    topic: str
    group: str

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)

    def json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _commit(broker: EmbeddedBroker, topic: str, group: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False, "log_level": 0})  # fmt: skip
    try:
        committed = [TopicPartition(topic, p, o) for p, o in offsets.items()]
        consumer.commit(offsets=committed, asynchronous=False)
    finally:
        consumer.close()


def _with_note(schema_str: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_str)
    note = {"name": "note", "type": ["null", "string"], "default": None}
    return {**schema, "fields": [*schema["fields"], note]}


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, broker: EmbeddedBroker, registry_url: str
) -> Iterator[Console]:
    data_dir = tmp_path_factory.mktemp("console")
    topic = new_topic(broker, 2)
    with RegistryClient(registry_url) as registry:
        serializer = AvroSerializer(registry, f"{topic}-value", load("clicks").schema_str)
        records = [(i % 2, f"user-{i}".encode(), serializer.header() + serializer.body(click(i)))
                   for i in range(RECORDS)]  # fmt: skip
    produce(broker, topic, records)
    group = f"console-group-{uuid.uuid4().hex[:8]}"
    _commit(broker, topic, group, {0: 2, 1: 6})
    env = environment(data_dir, broker, registry_url)
    env["TIDE_CONSOLE__USERS"] = json.dumps({"ops": hash_password(PASSWORD, iterations=1000)})
    env["TIDE_CONSOLE__REFRESH_SECONDS"] = "0.5"
    ok(tide(env, "jobs", "submit", "land", "--topic", topic))
    with RegistryClient(registry_url) as registry:  # a second version, for the diff
        registry.register(f"{topic}-value", json.dumps(_with_note(load("clicks").schema_str)))
    port = free_port()
    server = ServerProcess("console", [sys.executable, "-m", "tide", "console", "--port",
                                       str(port)], data_dir / "console.log", env)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server.start(lambda: _answers(url + "/metrics"), timeout_s=60)
    try:
        yield Console(url, topic, group)
    finally:
        server.stop()


def test_topics_list_the_topic_with_its_end_offsets(console: Console) -> None:
    topics = {t["name"]: t for t in console.json("/api/topics")["topics"]}
    assert topics[console.topic]["end_offsets"] == RECORDS
    assert topics[console.topic]["partitions"] == 2
    detail = console.json(f"/api/topics/{console.topic}")
    assert [p["high"] for p in detail["partitions"]] == [RECORDS // 2, RECORDS // 2]


def test_the_message_browser_decodes_avro_values(console: Console) -> None:
    page = console.json(f"/api/topics/{console.topic}/messages", **{"from": "beginning"}, limit=5)
    records = page["records"]
    assert len(records) == 5
    assert {r["value_encoding"] for r in records} == {"avro"}
    assert all(r["value"]["page"].startswith("/product/") for r in records)
    one = console.json(f"/api/topics/{console.topic}/messages", **{"from": "4"}, partition=1,
                       limit=1)["records"]  # fmt: skip
    assert (one[0]["partition"], one[0]["offset"]) == (1, 4)
    since = iso_ms(T0 + 6000)  # record i has the timestamp T0 + i s
    later = console.json(f"/api/topics/{console.topic}/messages", **{"from": since}, limit=50)
    assert sorted(r["value"]["user_id"] for r in later["records"]) == sorted(
        f"user-{i}" for i in range(6, RECORDS)
    )


def test_bad_input_to_the_browser_is_a_4xx_naming_it(console: Console) -> None:
    unknown = console.get("/api/topics/no_such_topic/messages")
    assert unknown.status_code == 404
    assert "'no_such_topic' does not exist" in unknown.json()["message"]
    bad = console.get(f"/api/topics/{console.topic}/messages", **{"from": "yesterday-ish"})
    assert bad.status_code == 400
    assert "yesterday-ish" in bad.json()["message"]
    too_many = console.get(f"/api/topics/{console.topic}/messages", limit=100_000)
    assert too_many.status_code == 400
    assert "limit" in too_many.json()["message"]
    no_partition = console.get(f"/api/topics/{console.topic}/messages", partition=9)
    assert no_partition.status_code == 404


def test_groups_show_the_group_with_its_lag(console: Console) -> None:
    groups = {g["group"]: g for g in console.json("/api/groups")["groups"]}
    assert groups[console.group]["lag"] == (6 - 2) + (6 - 6)
    assert groups[console.group]["topics"] == [console.topic]
    detail = console.json(f"/api/groups/{console.group}")["partitions"]
    assert [(p["partition"], p["committed"], p["lag"]) for p in detail] == [(0, 2, 4), (1, 6, 0)]
    assert console.get("/api/groups/no-such-group").status_code == 404


def test_the_lake_shows_the_landed_table_and_the_sql_box_reads_it(console: Console) -> None:
    tables = {t["name"]: t for t in console.json("/api/lake/tables")["tables"]}
    assert tables[console.topic]["rows"] == RECORDS
    assert tables[console.topic]["snapshots"] >= 1
    snapshots = console.json(f"/api/lake/tables/{console.topic}/snapshots")["snapshots"]
    assert snapshots[-1]["offsets"][console.topic] == {"0": 6, "1": 6}
    sql = f"SELECT count(*) AS n FROM {console.topic}"  # noqa: S608 (a generated topic name)
    answer = httpx.post(console.url + "/api/sql", json={"sql": sql}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == [[RECORDS]]
    every = sql.replace("count(*) AS n", "*")
    cut = httpx.post(console.url + "/api/sql", json={"sql": every, "max_rows": 3}, timeout=60)
    assert (len(cut.json()["rows"]), cut.json()["truncated"]) == (3, True)
    refused = httpx.post(console.url + "/api/sql", json={"sql": f"DROP TABLE {console.topic}"},
                         timeout=60)  # fmt: skip
    assert refused.status_code == 403
    assert "DROP" in refused.json()["message"]
    assert console.get("/api/lake/tables/no_such_table/snapshots").status_code == 404


def test_jobs_and_schemas_list_the_landing_and_the_subject(console: Console) -> None:
    jobs = console.json("/api/jobs")["jobs"]
    assert jobs[0]["kind"] == "land"
    assert jobs[0]["state"] == "SUCCEEDED"
    assert jobs[0]["args"]["topic"] == console.topic
    subjects = {s["subject"]: s for s in console.json("/api/schemas")["subjects"]}
    subject = subjects[f"{console.topic}-value"]
    assert (subject["versions"], subject["schema_type"]) == ([1, 2], "AVRO")
    diff = console.json("/api/schemas/diff", subject=f"{console.topic}-value", old="1")
    assert (diff["from"], diff["to"]) == (1, 2)
    assert [(c["path"], c["kind"]) for c in diff["changes"]] == [
        ("note", "field added (with default)")
    ]
    assert diff["backward"]["compatible"] is True
    unknown = console.get("/api/schemas/diff", subject="no-such-subject", old="1")
    assert unknown.status_code == 404


def test_jobs_are_submitted_watched_and_cancelled_from_the_console(console: Console) -> None:
    """A continuous land submitted through the console runs detached, lands the topic into a
    new table, shows its log, and is cancelled; actions need basic auth, views do not."""
    auth = ("ops", PASSWORD)
    table = f"{console.topic}_live"
    body = {"kind": "land", "args": {"topic": console.topic, "table": table, "follow": True,
                                     "commit_every": "300ms"}}  # fmt: skip
    anonymous = httpx.post(console.url + "/api/jobs", json=body, timeout=30)
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    wrong = httpx.post(console.url + "/api/jobs", json=body, auth=("ops", "nope"), timeout=30)
    assert wrong.status_code == 401
    submitted = httpx.post(console.url + "/api/jobs", json=body, auth=auth, timeout=60)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]

    def landed() -> int:
        tables = {t["name"]: t for t in console.json("/api/lake/tables")["tables"]}
        return int(tables[table]["rows"]) if table in tables else 0

    _until(lambda: landed() == RECORDS, 90, "the console's land job to land the topic")
    jobs = {j["id"]: j for j in console.json("/api/jobs")["jobs"]}
    assert jobs[job_id]["state"] == "RUNNING" and jobs[job_id]["args"]["table"] == table
    assert "job started" in console.json(f"/api/jobs/{job_id}/log")["log"]
    cancel = console.url + f"/api/jobs/{job_id}/cancel"
    assert httpx.post(cancel, timeout=30).status_code == 401  # nothing changed
    ended = httpx.post(cancel, auth=auth, timeout=60)
    assert ended.status_code == 200 and ended.json()["state"] == "CANCELLED", ended.text
    assert ended.json()["result"]["rows"] == RECORDS
    again = httpx.post(cancel, auth=auth, timeout=30)
    assert again.status_code == 409 and "nothing to cancel" in again.json()["message"]
    assert (
        httpx.post(console.url + "/api/jobs/999999/cancel", auth=auth, timeout=30).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [({"kind": "drop", "args": {}}, "kind 'drop'"),
     ({"kind": "expire", "args": {"table": "t", "topic": "x"}}, "expire takes no topic"),
     ({"kind": "expire", "args": {"table": "t", "older_than": "soon"}}, "--older-than"),
     ([1, 2], "the body must be")],
)  # fmt: skip
def test_a_bad_job_submission_is_a_400_naming_what_is_wrong(
    console: Console, body: Any, named: str
) -> None:
    before = len(console.json("/api/jobs")["jobs"])
    refused = httpx.post(console.url + "/api/jobs", json=body, auth=("ops", PASSWORD), timeout=60)
    assert refused.status_code == 400 and named in refused.json()["message"], refused.text
    assert len(console.json("/api/jobs")["jobs"]) == before  # no job was recorded


def _until(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)  # polling interval of the condition


def _events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """(event, parsed data) of a server-sent event stream."""
    name, data = "message", ""
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data += line[len("data: ") :]
        elif line == "" and data:
            yield name, json.loads(data)
            name, data = "message", ""


def test_the_live_stream_pushes_every_section_then_only_what_changed(
    console: Console, broker: EmbeddedBroker
) -> None:
    """GET /api/live: each section once as its endpoint answers it, a tick per round, a
    section again only when it changed (a new topic appears in ``topics``), never a blank."""
    rounds: list[dict[str, Any]] = [{}]
    created = ""
    with httpx.stream("GET", console.url + "/api/live", timeout=30) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        for name, data in _events(stream.iter_lines()):
            if name != "tick":
                rounds[-1][name] = data
                if name == "topics" and created in {t["name"] for t in data["topics"]}:
                    break
                continue
            assert "at" in data
            if len(rounds) == 1:  # after the first round: a change to push
                created = new_topic(broker, 1)
            rounds.append({})
            assert len(rounds) < 60, f"the new topic was never pushed: {rounds[-3:]}"
    first = rounds[0]
    assert set(first) == {"overview", "streams", "topics", "groups", "lake", "jobs", "schemas"}
    assert console.topic in {t["name"] for t in first["topics"]["topics"]}
    assert first["lake"] == console.json("/api/lake/tables")
    assert first["schemas"] == console.json("/api/schemas")
    assert not any("error" in body for body in first.values()), first
    later = [name for r in rounds[1:] for name in r]
    assert "topics" in later
    assert "schemas" not in later  # unchanged sections are not sent again
    metrics = console.get("/metrics").text
    assert 'tide_console_section_seconds_count{section="topics"}' in metrics


def test_the_page_is_served_and_uses_the_api(console: Console) -> None:
    page = console.get("/")
    assert page.status_code == 200
    assert "<script>" in page.text
    for path in ("/api/live", "/api/topics/", "/api/sql", "/api/jobs"):
        assert path in page.text
    overview = console.json("/api/overview")
    assert {p["name"]: p["health"] for p in overview["configured"]}["broker"] == "healthy"
    assert "tide_console_requests_total" in console.get("/metrics").text


def test_the_page_renders_every_section_from_the_live_api(console: Console) -> None:
    """The page's own script, run by Node with a minimal DOM against this console."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the page's script is not run")
    script = Path(__file__).with_name("console_page.mjs")
    subject = f"{console.topic}-value"
    run = subprocess.run([node, "--experimental-eventsource", str(script), console.url, subject],
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert console.topic in shown["#topics .body"]
    assert f'<td class="num">{RECORDS}</td>' in shown["#topics .body"]
    assert console.group in shown["#groups .body"]
    assert console.topic in shown["#lake .body"]
    assert f"{console.topic}-value" in shown["#schemas .body"]
    assert "SUCCEEDED" in shown["#jobs .body"] and "data-log=" in shown["#jobs .body"]
    assert "healthy" in shown["#overview .body"]
    assert "no window worker found" in shown["#streams .body"]
    assert "clicks_per_minute" in shown["#streams .body"]  # a shipped job, not started here
    assert "<polyline" in shown["rate"]
    assert f'data-browse="{console.topic}"' in shown["#topics .body"]
    assert f'data-subject="{subject}"' in shown["#schemas .body"]
    assert f"{subject}: v1 → v2" in shown["#schemas .detail"]
    assert "field added (with default)" in shown["#schemas .detail"]
    assert "backward: compatible" in shown["#schemas .detail"]
    assert not any('class="error"' in html for html in shown.values())


def _chromium() -> Any:
    """A headless Debian chromium driven by its chromedriver (scripts/ensure-browser.sh)."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("chromium/chromedriver not installed (scripts/ensure-browser.sh installs "
                    "them with apt; it could not here)")  # fmt: skip
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1600,2400"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def test_the_page_in_a_real_browser_shows_every_section(console: Console, tmp_path: Path) -> None:
    """Debian's chromium loads the page; what it shows is asserted section by section, the
    message browser and the SQL box are used as a user would, and a screenshot of the page and
    of each section is saved (under this test's tmp dir) for a reviewer."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = _chromium()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        browser.get(console.url + "/")
        wait = WebDriverWait(browser, 60, poll_frequency=0.2)

        def shows(selector: str, text: str) -> None:
            wait.until(lambda b: text in b.find_element(By.CSS_SELECTOR, selector).text,
                       f"{selector} never showed {text!r}")  # fmt: skip

        shows("#topics .body", console.topic)
        shows("#lake .body", console.topic)
        lake = browser.find_element(By.CSS_SELECTOR, "#lake .body").text
        assert lake.split(console.topic, 1)[1].split()[0] == str(RECORDS)  # its row count
        shows("#jobs .body", "SUCCEEDED")
        head, *rows = browser.execute_script(
            "return [...document.querySelectorAll('#jobs .body table tr')]"
            ".map((r) => [...r.cells].map((c) => c.textContent))"
        )
        landing = dict(zip(head, next(r for r in rows if r[1] == "land"), strict=True))
        assert landing["rows"] == str(RECORDS) and int(landing["bytes in"]) > 0
        assert float(landing["took (s)"]) > 0
        shows("#schemas .body", f"{console.topic}-value")
        shows("#groups .body", console.group)
        shows("#overview .body", "healthy")
        # the topics table is redrawn on every tick: find and click the button in one step
        browser.execute_script(
            "document.querySelector(arguments[0]).click()", f'button[data-browse="{console.topic}"]'
        )
        shows("#browser .body", "user_id")  # an Avro value, decoded through the registry
        sql = browser.find_element(By.CSS_SELECTOR, "#query textarea")
        sql.clear()
        sql.send_keys(f"SELECT count(*) AS landed FROM {console.topic}")  # noqa: S608
        browser.find_element(By.CSS_SELECTOR, "#query button").click()
        shows("#sql .body", "landed")
        assert str(RECORDS) in browser.find_element(By.CSS_SELECTOR, "#sql .body").text
        sql.clear()  # a grouped result is charted too: a bar per row
        sql.send_keys(f"SELECT user_id, count(*) AS clicks FROM {console.topic} GROUP BY 1")  # noqa: S608
        browser.find_element(By.CSS_SELECTOR, "#query button").click()
        shows("#sql .body", "clicks by user_id")
        bars = browser.find_elements(By.CSS_SELECTOR, "#sql .sql-chart rect")
        shown = browser.find_elements(By.CSS_SELECTOR, "#sql .body table tr")
        assert len(bars) == len(shown) - 1 > 0  # the header row has no bar
        assert not browser.find_elements(By.CSS_SELECTOR, ".error")
        browser.save_screenshot(str(shots / "console.png"))
        for section in ("overview", "streams", "topics", "groups", "browser", "lake", "sql",
                        "jobs", "schemas"):  # fmt: skip
            element = browser.find_element(By.ID, section)
            element.screenshot(str(shots / f"{section}.png"))
        print(f"screenshots in {shots}")
        assert all((shots / f"{s}.png").stat().st_size > 1000 for s in ("console", "lake", "sql"))
    finally:
        browser.quit()


def test_a_taken_port_is_refused_in_one_line_naming_its_holder(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path)}
        argv = [sys.executable, "-m", "tide", "console", "--port", str(port)]
        run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1
    assert f"error: port {port} is taken by pid {os.getpid()}" in run.stderr
    assert "Traceback" not in run.stderr
