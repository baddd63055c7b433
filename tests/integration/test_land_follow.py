"""Continuous landing (`tide jobs submit land --follow`): waves of events become queryable while
the job runs, SIGTERM commits and exits 0, and a kill -9 then a restart lands every event once.
Real broker, registry, catalog and CLI, the job a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from jobs.land import LandConfig, LandJob
from lake.tables import load_table
from lake.watermarks import valid_through
from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tests.integration.test_bad_input import run
from tests.unit.lake.samples import click
from tide.ops.lake import catalog
from tide.settings import KafkaSettings, RegistrySettings, TideSettings

PARTITIONS = 3  # events go to 0 and 1 only: partition 2 stays idle throughout


class Source:
    """A fresh clicks topic, the events produced to it and the follow job landing it."""

    def __init__(self, tmp_path: Path, broker: Any, registry_url: str) -> None:
        self.tmp_path = tmp_path
        self.topic = f"follow_{uuid.uuid4().hex[:8]}"
        ensure_topics(broker.bootstrap_servers, [TopicSpec(self.topic, PARTITIONS)])
        self.registry = RegistryClient(registry_url)
        self.serializer = AvroSerializer(
            self.registry, f"{self.topic}-value", load("clicks").schema_str
        )
        self.producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "log_level": 0})
        self.env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
        self.bootstrap_servers, self.registry_url = broker.bootstrap_servers, registry_url
        self.sent: dict[str, int] = {}  # event id -> partition
        self.latest: dict[int, dt.datetime] = {}  # partition -> latest event time sent

    def wave(self, numbers: range) -> None:
        for i in numbers:
            event, partition = click(i), i % 2
            self.producer.produce(self.topic, self.serializer.encode(event), partition=partition)
            self.sent[event["event_id"]] = partition
            self.latest[partition] = max(self.latest.get(partition, event["event_time"]),
                                         event["event_time"])  # fmt: skip
            self.producer.poll(0)
        assert self.producer.flush(30) == 0

    @contextmanager
    def follow(self, *extra: str) -> Iterator[subprocess.Popen[str]]:
        """The follow job (with ``extra`` flags), running; killed (if still running) and
        reaped on the way out."""
        command = [sys.executable, "-m", "tide", "jobs", "submit", "land", "--topic", self.topic,
                   "--follow", "--commit-every", "300ms", "--commit-rows", "400",
                   "-o", "json", *extra]  # fmt: skip
        full = {**os.environ, "TIDE_DATA_DIR": str(self.tmp_path), **self.env}
        job = subprocess.Popen(command, env=full, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            yield job
        finally:
            job.kill()
            job.communicate(timeout=30)

    def landed(self) -> tuple[int, int]:
        """Rows and distinct event ids in the lake table, by `tide sql` (0, 0 before it exists)."""
        query = f"SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM {self.topic}"  # noqa: S608
        result = run(self.tmp_path, self.env, "sql", query, "-o", "json")
        if result.returncode != 0:
            assert "does not exist" in result.stderr, result.stderr  # not landed yet
            return 0, 0
        row = json.loads(result.stdout)[0]
        return int(row["n"]), int(row["d"])

    def await_landed(self, at_least: int, job: subprocess.Popen[str]) -> int:
        """Poll until the lake holds ``at_least`` rows (the job must keep running)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert job.poll() is None, job.communicate()
            rows, _ = self.landed()
            if rows >= at_least:
                return rows
        raise AssertionError(f"fewer than {at_least} rows landed in 120 s: {self.landed()}")

    def event_ids(self) -> list[str]:
        query = f"SELECT event_id FROM {self.topic}"  # noqa: S608
        result = run(self.tmp_path, self.env, "sql", query, "-o", "json", "--max-rows", "0")
        assert result.returncode == 0, result.stderr
        return [row["event_id"] for row in json.loads(result.stdout)]

    def valid_through(self) -> dt.datetime | None:
        settings = TideSettings(data_dir=self.tmp_path)
        table = load_table(catalog(settings), settings.lake.namespace, self.topic)
        return valid_through(table, self.topic)


@pytest.fixture
def source(tmp_path: Path, data_broker: Any, registry_url: str) -> Iterator[Source]:
    made = Source(tmp_path, data_broker, registry_url)
    yield made
    made.registry.close()


@pytest.fixture
def long_source(tmp_path: Path, long_data_broker: Any, registry_url: str) -> Iterator[Source]:
    """For the restart tests: Kafka in make test, both brokers in make chaos."""
    made = Source(tmp_path, long_data_broker, registry_url)
    yield made
    made.registry.close()


def stop(job: subprocess.Popen[str]) -> dict[str, Any]:
    job.send_signal(signal.SIGTERM)
    stdout, stderr = job.communicate(timeout=60)
    assert job.returncode == 0, stderr
    assert "Traceback" not in stderr
    result: dict[str, Any] = json.loads(stdout)
    return result


def test_follow_lands_each_wave_while_running_and_commits_on_sigterm(source: Source) -> None:
    with source.follow() as job:
        source.wave(range(150))
        assert source.await_landed(150, job) == 150  # partition 2, idle, held nothing back
        source.wave(range(150, 1000))
        assert source.await_landed(1000, job) == 1000
        result = stop(job)
    assert result["rows_landed"] == 1000
    assert result["commits"] >= 3  # one per wave at least, and --commit-rows 400 cut the second
    assert source.landed() == (1000, 1000)
    assert sorted(source.event_ids()) == sorted(source.sent)
    # valid-through: the earliest of each fed partition's latest event (idle partition 2 aside)
    assert source.valid_through() == min(source.latest.values())
    assert result["valid_through"] == min(source.latest.values()).isoformat()


def test_sigterm_commits_what_was_read_and_a_restart_goes_on_from_there(
    long_source: Source,
) -> None:
    source = long_source
    with source.follow() as job:
        source.wave(range(500))
        source.await_landed(1, job)
        source.wave(range(500, 540))  # perhaps read, perhaps not, when the signal comes
        result = stop(job)
    assert source.landed() == (result["rows_landed"], result["rows_landed"])
    with source.follow() as restarted:
        source.wave(range(540, 600))
        source.await_landed(600, restarted)
        stop(restarted)
    assert source.landed() == (600, 600)
    assert sorted(source.event_ids()) == sorted(source.sent)


def test_a_follow_killed_hard_then_restarted_lands_every_event_once(long_source: Source) -> None:
    source = long_source
    with source.follow() as job:
        source.wave(range(300))
        source.await_landed(300, job)
        source.wave(range(300, 3000))
        source.await_landed(301, job)  # mid-follow: some of the wave is landed
        job.send_signal(signal.SIGKILL)
        job.communicate(timeout=30)
    assert job.returncode == -signal.SIGKILL
    source.wave(range(3000, 3200))  # produced while no job runs
    with source.follow() as restarted:
        source.await_landed(3200, restarted)
        stop(restarted)
    assert source.landed() == (3200, 3200)
    assert sorted(source.event_ids()) == sorted(source.sent)


def test_stopping_commits_what_was_read_and_not_yet_committed(source: Source) -> None:
    """The job in-process, so that what it has read is seen: an hour's commit interval, 40
    records read and none landed; the stop commits them, in one commit."""
    source.wave(range(40))
    settings = TideSettings(data_dir=source.tmp_path,
                            kafka=KafkaSettings(bootstrap_servers=source.bootstrap_servers),
                            registry=RegistrySettings(url=source.registry_url))  # fmt: skip
    config = LandConfig(source.bootstrap_servers, source.topic, settings.lake.namespace,
                        extension_dir=source.tmp_path / "duckdb", follow=True,
                        commit_every_s=3600)  # fmt: skip
    stop, failures = threading.Event(), []
    job = LandJob(config, catalog(settings), AvroDeserializer(source.registry))

    def work() -> None:
        try:
            job.run(stop)
        except Exception as e:
            failures.append(e)

    runner = threading.Thread(target=work)
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while job.read < 40 and runner.is_alive() and time.monotonic() < deadline:
            stop.wait(0.05)  # polling the job's read count, with a deadline
        assert job.read == 40, (job.read, failures)
        assert source.landed() == (0, 0)  # read, not committed: the interval is an hour
    finally:
        stop.set()
        runner.join(60)
    assert not failures, failures
    assert (job.result.rows, job.result.commits) == (40, 1)
    assert source.landed() == (40, 40)
