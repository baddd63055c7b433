"""Session fixture: the registry server, started by the project's own supervisor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("registry")
    process = RegistryProcess(free_port(), root / "registry.sqlite", root / "logs")
    process.start()
    yield process.url
    process.stop()
