from tests.integration.kafka_fixtures import (  # noqa: F401
    data_broker,
    fresh_data_broker,
    kafka1,
    kafka3,
    long_data_broker,
)
from tests.integration.maintenance_fixtures import landed  # noqa: F401
from tests.integration.registry_fixtures import registry_url  # noqa: F401
from tests.integration.stack_fixtures import broker, fresh_broker  # noqa: F401
from tests.integration.streams_fixtures import long_rig, rig  # noqa: F401
