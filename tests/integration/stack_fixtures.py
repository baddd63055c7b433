"""Session fixtures: the embedded broker, started by the project's own supervisor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A Tansu broker (in memory) for the whole session; tests use their own topic names."""
    instance = EmbeddedBroker(free_port(), tmp_path_factory.mktemp("broker"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of the test's own, for tests that need the fixed pipeline topic names."""
    instance = EmbeddedBroker(free_port(), tmp_path / "broker")
    instance.start()
    yield instance
    instance.stop()
