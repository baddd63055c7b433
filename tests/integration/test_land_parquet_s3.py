# ruff: noqa: F811  (the fixture `on_s3` is imported, and tests take it by name)
"""`tide jobs submit land --format parquet` on an s3:// warehouse (the project's moto_server):
the files land in the bucket exactly once (a second run only the new events), a run killed
with kill -9 after writing files past its committed offsets leaves no duplicate after the next
run, and one job at a time holds a table — a second one is refused while the first runs, takes
over from one that stalls, and a writer that changed the offsets object makes a commit fail
without overwriting it. Real broker, registry, CLI processes and S3 protocol; read back with
DuckDB's httpfs."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import boto3
import duckdb
import duckdb_extensions
import pyarrow as pa
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from pyarrow import fs

from lake.errors import OffsetFencingError
from lake.parquet_sink import ParquetSink
from lake.parquet_store.s3 import S3Root
from lake.parquet_store.s3_requests import S3Options, s3_options, sign
from tests.integration.maintenance_fixtures import Landed
from tests.integration.test_bad_input import run
from tests.integration.test_lake_s3 import on_s3  # noqa: F401
from tests.integration.test_land_follow import stop
from tests.unit.lake.samples import click
from tide.stack.object_store import CREDENTIALS, REGION

STATE, LEASE = "_tide_offsets.json", "_tide_lease.json"


class Bucket:
    """The table's objects under s3://lake/warehouse/parquet/<topic>, read with pyarrow."""

    def __init__(self, endpoint: str, topic: str) -> None:
        self.endpoint, self.topic = endpoint, topic
        self.root = f"lake/warehouse/parquet/{topic}"
        self.s3 = fs.S3FileSystem(
            access_key=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region=REGION, scheme="http", endpoint_override=endpoint.removeprefix("http://"),
        )  # fmt: skip
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )  # fmt: skip

    def files(self) -> list[str]:
        """Every data file, relative to the root (listed before anything else is read)."""
        selector = fs.FileSelector(self.root, recursive=True, allow_not_found=True)
        infos = self.s3.get_file_info(selector)
        cut = len(self.root) + 1
        return sorted(i.path[cut:] for i in infos if i.path.endswith(".parquet"))

    def size(self) -> int:
        """The bytes of every data file."""
        selector = fs.FileSelector(self.root, recursive=True, allow_not_found=True)
        return sum(i.size for i in self.s3.get_file_info(selector) if i.path.endswith(".parquet"))

    def state_bytes(self) -> bytes | None:
        """The offsets object, in one GET by boto3 (pyarrow's reader asks for its size first,
        then for its bytes: a commit in between would cut what it reads)."""
        try:
            answer = self.client.get_object(Bucket="lake", Key=f"{self.root[5:]}/{STATE}")
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def state(self) -> dict[str, Any] | None:
        raw = self.state_bytes()
        parsed: dict[str, Any] | None = None if raw is None else json.loads(raw)
        return parsed

    def offsets(self) -> dict[int, int]:
        state = self.state() or {}
        return {int(p): int(o) for p, o in state.get("offsets", {}).items()}

    def has(self, name: str) -> bool:
        info = self.s3.get_file_info(f"{self.root}/{name}")
        return bool(info.type == fs.FileType.File)

    def past_committed(self) -> list[str]:
        """Data files of batches whose offsets are not committed (listed, then the offsets
        read: a file past the offsets read after it was listed was uncommitted when listed)."""
        files, offsets = self.files(), self.offsets()
        past = []
        for path in files:
            _, partition, first = path.rsplit("/", 1)[-1].removesuffix(".parquet").rsplit("+", 2)
            if int(first) >= offsets.get(int(partition), 0):
                past.append(path)
        return past

    def event_ids(self, tmp_path: Path) -> list[str]:
        """Every landed event id, as DuckDB's httpfs reads the hive-partitioned files."""
        con = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "extension_directory": str(tmp_path / "duckdb-test")})  # fmt: skip
        try:
            duckdb_extensions.import_extension("httpfs", con=con)
            con.execute("LOAD httpfs")
            con.execute(
                "CREATE SECRET (TYPE s3, KEY_ID 'tide', SECRET 'tide-secret', REGION "
                f"'{REGION}', ENDPOINT '{self.endpoint.removeprefix('http://')}', "
                "URL_STYLE 'path', USE_SSL false)"
            )
            rows = con.sql(
                f"SELECT event_id FROM read_parquet('s3://{self.root}/**/*.parquet', "  # noqa: S608
                "hive_partitioning = true, union_by_name = true)"
            ).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows]


def _land(landed: Landed, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(landed.tmp_path, landed.env, "jobs", "submit", "land", "--topic", landed.topic,
               "--format", "parquet", "-o", "json", *extra)  # fmt: skip


def _landed_rows(result: subprocess.CompletedProcess[str]) -> int:
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["rows_landed"])


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error:"), result.stderr
    return line


@contextmanager
def _job(landed: Landed, *extra: str) -> Iterator[subprocess.Popen[str]]:
    """A land job process (``extra`` flags), killed (if still running) and reaped on the way out."""
    command = [sys.executable, "-m", "tide", "jobs", "submit", "land", "--topic", landed.topic,
               "--format", "parquet", "-o", "json", *extra]  # fmt: skip
    env = {**os.environ, "TIDE_DATA_DIR": str(landed.tmp_path), **landed.env}
    job = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)  # fmt: skip
    try:
        yield job
    finally:
        if job.returncode is None:
            job.kill()
            job.communicate(timeout=30)


def _follow(landed: Landed) -> AbstractContextManager[subprocess.Popen[str]]:
    return _job(landed, "--follow", "--commit-every", "300ms")


def _await_committed(bucket: Bucket, rows: int, job: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while sum(bucket.offsets().values()) < rows:
        assert job.poll() is None, job.communicate()
        assert time.monotonic() < deadline, f"{rows} rows not committed in 120 s"
        time.sleep(0.05)  # the polling interval of the condition


def _assert_exactly(bucket: Bucket, landed: Landed) -> None:
    ids = bucket.event_ids(landed.tmp_path)
    assert len(ids) == len(landed.sent)  # none lost, none twice
    assert len(set(ids)) == len(landed.sent)
    assert set(ids) == landed.sent


def test_parquet_on_s3_lands_exactly_once_and_a_second_run_only_the_new_events(
    on_s3: tuple[Landed, str],
) -> None:
    landed, endpoint = on_s3
    bucket = Bucket(endpoint, landed.topic)
    landed.produce(range(60))  # partitions 0 and 1, offsets 0..29 each
    first = _land(landed)
    assert _landed_rows(first) == 60
    assert json.loads(first.stdout)["bytes_out"] == bucket.size()
    files = bucket.files()
    assert all(f.startswith("event_time_day=") and "/region=" in f for f in files)
    names = {f.rsplit("/", 1)[-1] for f in files}
    assert names == {f"{landed.topic}+0+0.parquet", f"{landed.topic}+1+0.parquet"}
    assert bucket.offsets() == {0: 30, 1: 30}
    _assert_exactly(bucket, landed)
    assert not bucket.has(LEASE)  # let go at the end of the run
    assert not (landed.tmp_path / "warehouse").exists()  # nothing on the local disk

    assert _landed_rows(_land(landed)) == 0  # nothing new: nothing written
    assert bucket.files() == files

    landed.produce(range(60, 80))
    assert _landed_rows(_land(landed)) == 20
    assert bucket.offsets() == {0: 40, 1: 40}
    _assert_exactly(bucket, landed)
    new = {f.rsplit("/", 1)[-1] for f in bucket.files()} - names
    assert new == {f"{landed.topic}+0+30.parquet", f"{landed.topic}+1+30.parquet"}


def test_a_run_killed_after_writing_past_its_offsets_leaves_no_duplicate(
    on_s3: tuple[Landed, str],
) -> None:
    landed, endpoint = on_s3
    bucket = Bucket(endpoint, landed.topic)
    strays: list[str] = []
    for attempt in range(4):  # until a kill lands between a batch's files and its commit
        landed.produce(range(attempt * 240, (attempt + 1) * 240))
        with _job(landed, "--commit-rows", "48") as job:  # 12 files a commit: 2 x 3 days x 2
            while job.poll() is None and len(bucket.past_committed()) < 3:
                pass  # each look is two S3 requests: the condition is polled, not slept on
            job.send_signal(signal.SIGKILL)
            job.communicate(timeout=30)
        strays = bucket.past_committed()  # the job is dead: this is what it left
        if job.returncode == -signal.SIGKILL and _not_rewritten(strays, bucket.offsets()):
            break
    assert _not_rewritten(strays, bucket.offsets()), f"no kill left a stray to clean: {strays}"
    committed = sum(bucket.offsets().values())
    assert committed < len(landed.sent)

    # One row a batch: the next run's first file of partition p is the folder of its next
    # offset only, so the strays elsewhere stay unless the run removes them first.
    again = _land(landed, "--commit-rows", "1")  # waits out the killed job's lease first
    assert _landed_rows(again) == len(landed.sent) - committed
    assert not bucket.past_committed()
    _assert_exactly(bucket, landed)
    assert not bucket.has(LEASE)


def _not_rewritten(strays: list[str], offsets: dict[int, int]) -> list[str]:
    """The strays a re-run landing one row a batch would not write again: those of partition p
    outside the folder of the event at its next offset (event i went to partition i % 2)."""
    found = []
    for path in strays:
        folder, name = path.rsplit("/", 1)
        partition = int(name.removesuffix(".parquet").rsplit("+", 2)[1])
        event = click(2 * offsets.get(partition, 0) + partition)
        day = event["event_time"].strftime("%Y-%m-%d")
        if folder != f"event_time_day={day}/region={event['region']}":
            found.append(path)
    return found


def test_a_second_job_on_the_same_s3_table_is_refused_while_the_first_runs(
    on_s3: tuple[Landed, str],
) -> None:
    landed, endpoint = on_s3
    bucket = Bucket(endpoint, landed.topic)
    landed.produce(range(60))
    with _follow(landed) as first:
        _await_committed(bucket, 60, first)
        line = _error_line(_land(landed))
        assert f"another land job writes s3://{bucket.root}" in line, line
        assert first.poll() is None  # the first one goes on landing
        landed.produce(range(60, 80))
        _await_committed(bucket, 80, first)
        assert stop(first)["rows_landed"] == 80
    _assert_exactly(bucket, landed)
    assert not bucket.has(LEASE)


def test_a_stalled_job_is_taken_over_and_then_cannot_write_or_commit(
    on_s3: tuple[Landed, str],
) -> None:
    landed, endpoint = on_s3
    bucket = Bucket(endpoint, landed.topic)
    landed.produce(range(40))
    with _follow(landed) as stalled:
        _await_committed(bucket, 40, stalled)
        stalled.send_signal(signal.SIGSTOP)  # stalls (a pause, a frozen VM) holding the lease
        landed.produce(range(40, 60))
        files = bucket.files()
        assert _landed_rows(_land(landed)) == 20  # took the lease over once it was not renewed
        landed_by_second = bucket.files()
        assert landed_by_second != files
        stalled.send_signal(signal.SIGCONT)  # it reads the same 20 events and tries to land them
        _, stderr = stalled.communicate(timeout=60)
    assert stalled.returncode == 1, stderr
    assert "its lease" in stderr.strip().splitlines()[-1], stderr
    assert bucket.offsets() == {0: 30, 1: 30}
    assert bucket.files() == landed_by_second  # it wrote nothing once resumed
    _assert_exactly(bucket, landed)
    assert not bucket.has(LEASE)


def test_a_commit_after_another_writer_moved_the_offsets_fails_and_overwrites_nothing(
    on_s3: tuple[Landed, str],
) -> None:
    landed, endpoint = on_s3
    bucket = Bucket(endpoint, landed.topic)
    properties = {"s3.endpoint": endpoint, "s3.path-style-access": "true"}
    env = {**CREDENTIALS, "AWS_REGION": REGION}
    root = S3Root(f"s3://{bucket.root}", s3_options(properties, env))
    data = pa.Table.from_pylist([click(i) for i in range(0, 8, 2)])  # 4 events of partition 0
    sink = ParquetSink(root, landed.topic)
    try:
        # A writer that does not take the lease (another tool, a hand edit) rewrites the offsets.
        other = json.dumps({"topic": landed.topic, "commits": 0, "offsets": {}, "event_times": {},
                            "writer": "someone else"}).encode()  # fmt: skip
        with bucket.s3.open_output_stream(f"{bucket.root}/{STATE}") as out:
            out.write(other)
        with pytest.raises(OffsetFencingError, match="changed by another writer"):
            sink.append(data, [0] * 4, {0: 0}, {0: 4}, expected={}, event_times={})
        assert bucket.state_bytes() == other  # not overwritten
        assert bucket.past_committed()  # the failed batch's files, never committed
    finally:
        sink.close()
    ParquetSink(root, landed.topic).close()  # the next start removes them
    assert bucket.files() == []
    assert bucket.offsets() == {}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("token", [None, "a-session-token"])
def test_conditional_requests_are_signed_as_botocore_signs_them(
    method: str, token: str | None
) -> None:
    url = "http://127.0.0.1:9000/lake/warehouse/parquet/t/event_time_day%3D2024-03-01/x.json"
    body = b'{"offsets": {}}' if method == "PUT" else b""
    request = AWSRequest(method=method, url=url, data=body, headers={})
    S3SigV4Auth(Credentials("AKID", "SECRET", token), "s3", "eu-west-1").add_auth(request)
    at = dt.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    options = S3Options("http://127.0.0.1:9000", "eu-west-1", "AKID", "SECRET", token, True)
    ours = sign(method, url, body, options, at.replace(tzinfo=dt.UTC))
    assert ours["authorization"] == request.headers["Authorization"]


def test_a_run_refused_before_it_reads_lets_go_of_its_lease(on_s3: tuple[Landed, str]) -> None:
    """A backfill refused at its start (the table holds the topic's offsets already) leaves no
    lease behind: the next run starts at once instead of waiting for the lease to expire."""
    landed, endpoint = on_s3
    bucket = Bucket(endpoint, landed.topic)
    landed.produce(range(10))
    assert _landed_rows(_land(landed)) == 10
    refused = _land(landed, "--from-offset", "0")
    assert "offsets" in _error_line(refused)
    assert not bucket.has(LEASE)
    landed.produce(range(10, 14))
    assert _landed_rows(_land(landed)) == 4
