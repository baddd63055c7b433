from __future__ import annotations

from pathlib import Path

import pytest
from pyiceberg.catalog import Catalog

from lake.catalog import ensure_namespace, open_catalog

NAMESPACE = "lake"


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    cat = open_catalog(
        f"sqlite:///{tmp_path}/catalog/catalog.sqlite", f"file://{tmp_path}/warehouse"
    )
    ensure_namespace(cat, NAMESPACE)
    return cat


@pytest.fixture(scope="session")
def extension_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("duckdb-extensions")
