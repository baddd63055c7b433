"""Landing on a three-node Kafka while the leader of a partition is killed -9: the lake ends
with every produced click exactly once (no gap, no duplicate), as on the embedded broker."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from jobs.land import LandConfig, LandJob
from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from tests.integration.streams_fixtures import StreamRig, click
from tide.ops.lake import catalog, query_engine
from tide.settings import KafkaSettings, LakeSettings, RegistrySettings, TideSettings

CLICKS = 30_000


def leader(bootstrap_servers: str, topic: str, partition: int) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    node: int = admin.list_topics(topic, timeout=10).topics[topic].partitions[partition].leader
    return node


def land(settings: TideSettings, topic: str, batches: list[int]) -> None:
    with RegistryClient(settings.registry.url) as registry:
        config = LandConfig(
            settings.kafka.bootstrap_servers, topic, settings.lake.namespace, batch_size=3_000
        )
        LandJob(config, catalog(settings), AvroDeserializer(registry), batches.append).run()


def test_a_broker_killed_while_landing_loses_and_doubles_nothing(
    kafka3: Any, registry_url: str, tmp_path: Path
) -> None:
    rig = StreamRig(kafka3.bootstrap_servers, registry_url, tmp_path)
    try:
        topic = rig.source("land_kill_clicks", 3, replication=3)
        start = 1_796_000_000_000
        rig.produce(topic, [(i % 3, click(start + i * 10, user=f"u{i}")) for i in range(CLICKS)])
    finally:
        rig.close()
    settings = TideSettings(
        data_dir=tmp_path / "data",
        kafka=KafkaSettings(bootstrap_servers=kafka3.bootstrap_servers, replication_factor=3),
        registry=RegistrySettings(url=registry_url),
        lake=LakeSettings(),
    )
    batches: list[int] = []
    failure: list[BaseException] = []

    def first_run() -> None:
        try:
            land(settings, topic, batches)
        except BaseException as e:  # a crash of the job is allowed: the next run resumes
            failure.append(e)

    runner = threading.Thread(target=first_run, daemon=True)
    runner.start()
    rig.wait_for("the first commits", lambda: len(batches) >= 2 or not runner.is_alive(), 60)
    victim = kafka3.index_of(leader(kafka3.bootstrap_servers, topic, 0))
    kafka3.kill(victim)
    assert sum(batches) < CLICKS, "the landing was over before the broker was killed"
    runner.join(180)
    kafka3.restart(victim)
    land(settings, topic, batches)  # resumes from the offsets in the last snapshot
    table = topic.replace(".", "_")
    rows = (
        query_engine(settings)
        .query(
            f"SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM {table}"  # noqa: S608
        )
        .to_pylist()[0]
    )
    assert rows == {"n": CLICKS, "users": CLICKS}
