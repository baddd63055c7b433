"""The HTTP conformance tests again, on the Kafka-backed store against a real broker.

The tests of ``tests/unit/registry/test_api.py`` and ``test_references_modes.py`` are imported
here unchanged; only ``client`` differs: a registry whose store is a :class:`KafkaSchemaStore`
on a log topic of its own. So both stores must answer every endpoint and error code alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.service import Registry
from registry.storage.kafka_log import KafkaSchemaStore
from tests.integration.registry_cluster import await_value
from tests.unit.registry.test_api import (  # noqa: F401  (collected here again)
    test_config_endpoints,
    test_error_codes,
    test_incompatible_registration_and_compatibility_checks,
    test_malformed_json_and_huge_payload_change_nothing,
    test_metrics_count_requests,
    test_register_lookup_and_read,
    test_schema_usages,
    test_soft_and_hard_deletes,
)
from tests.unit.registry.test_protobuf import (  # noqa: F401
    test_protobuf_compatibility_as_confluents_schema_diff,
    test_protobuf_registers_with_imports_and_reads_back_in_confluents_form,
)
from tests.unit.registry.test_references_modes import (  # noqa: F401
    test_global_resets_and_reading_soft_deleted_versions,
    test_import_mode_keeps_given_ids_and_later_ids_follow,
    test_lookup_finds_a_schema_registered_with_references_written_out,
    test_normalize_folds_equivalent_spellings,
    test_normalize_ignores_the_order_of_references,
    test_read_only_mode_refuses_writes_and_keeps_reads,
    test_references_are_refused_for_json_schema,
    test_references_register_read_and_protect,
    test_references_that_do_not_resolve_are_refused,
    test_schema_by_id_with_a_subject_names_the_version,
    test_schema_type_must_name_a_supported_type,
    test_schemas_listing,
)


@pytest.fixture
def client(data_broker: Any) -> Iterator[TestClient]:
    topic = f"_schemas-conformance-{uuid.uuid4().hex[:8]}"
    store = KafkaSchemaStore(data_broker.bootstrap_servers, topic, "http://in-process")
    try:
        await_value(lambda: True if store.is_primary() else None, 15, "the store to become primary")
        yield TestClient(create_app(Registry(store), replica=store))
    finally:
        store.close()
