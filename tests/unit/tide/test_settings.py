"""Settings: defaults, TIDE_ prefix with __ nesting, derived locations."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tide.settings import TideSettings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("TIDE_DATA_DIR", "TIDE_KAFKA__BOOTSTRAP_SERVERS", "TIDE_REGISTRY__URL"):
        monkeypatch.delenv(var, raising=False)
    s = TideSettings()
    assert s.data_dir == Path(".tide")
    assert s.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert s.registry.url == "http://127.0.0.1:8081"
    assert s.streams.window_seconds == 60


def test_environment_with_nesting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIDE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TIDE_KAFKA__BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("TIDE_KAFKA__PARTITIONS", "12")
    monkeypatch.setenv("TIDE_LAKE__WAREHOUSE", "s3://warehouse/")
    s = TideSettings()
    assert s.kafka.bootstrap_servers == "k1:9092,k2:9092"
    assert s.kafka.partitions == 12
    assert s.warehouse == "s3://warehouse/"
    assert s.catalog_uri == f"sqlite:///{tmp_path.resolve() / 'catalog.sqlite'}"
    assert s.registry_database == tmp_path / "registry.sqlite"


def test_subject_strategy_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDE_PRODUCER__SUBJECT_STRATEGY", "TopicRecordName")
    assert TideSettings().producer.subject_strategy == "TopicRecordName"


def test_invalid_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDE_KAFKA__PARTITIONS", "0")
    with pytest.raises(ValidationError, match="partitions"):
        TideSettings()


def test_settings_are_frozen() -> None:
    s = TideSettings()
    with pytest.raises(ValidationError):
        s.kafka.partitions = 3  # type: ignore[misc]
