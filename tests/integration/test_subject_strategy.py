"""The configured subject naming strategy decides where the producer registers its schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from producers.topics import TopicSpec, ensure_topics
from tide.stack.broker import EmbeddedBroker


def test_record_name_strategy(
    fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    ensure_topics(fresh_broker.bootstrap_servers, [TopicSpec("clicks", 2)])
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path),
           "TIDE_KAFKA__BOOTSTRAP_SERVERS": fresh_broker.bootstrap_servers,
           "TIDE_REGISTRY__URL": registry_url,
           "TIDE_PRODUCER__SUBJECT_STRATEGY": "TopicRecordName"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "tide", "produce", "clicks", "-n", "20"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "20 events acknowledged" in result.stdout
    subjects = httpx.get(f"{registry_url}/subjects").json()
    assert "clicks-tide.clicks.Click" in subjects
