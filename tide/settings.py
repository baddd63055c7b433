"""Settings of every Tide deployable: read from the environment (``TIDE_`` prefix, ``__`` nesting).

Only entry points (the CLI, the registry server) build a ``TideSettings``; library code receives
the frozen sub-objects it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from producers.subjects import SubjectStrategy


class KafkaSettings(BaseModel):
    """Where the Kafka-protocol broker is and how new topics are shaped."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    partitions: int = Field(4, ge=1, description="Partitions of topics Tide creates.")
    replication_factor: int = Field(1, ge=1, description="Replication of topics Tide creates.")


class RegistrySettings(BaseModel):
    """Where clients find the schema registry, and where `tide registry serve` listens."""

    model_config = ConfigDict(frozen=True)

    url: str = Field("http://127.0.0.1:8081", description="Base URL clients use.")
    host: str = Field("127.0.0.1", description="Interface the registry server binds.")
    port: int = Field(8081, ge=0, le=65535, description="Port the registry server binds.")
    database: Path | None = Field(
        None, description="SQLite file of the registry; default <data_dir>/registry.sqlite."
    )
    store: Literal["sqlite", "kafka"] = Field(
        "sqlite",
        description="sqlite: one instance, embedded. kafka: instances share the log topic "
        "(TIDE_KAFKA__BOOTSTRAP_SERVERS), elect a primary and forward writes to it.",
    )
    topic: str = Field("_schemas", description="Log topic of the kafka store.")
    advertised_url: str | None = Field(
        None, description="URL other instances forward writes to; default http://host:port."
    )
    lease_seconds: float = Field(
        3.0, gt=0, description="A primary silent this long is replaced (kafka store)."
    )
    users: dict[str, str] = Field(
        default_factory=dict,
        description='Basic auth, off when empty: JSON {"user": "<hash>"}, hashes from '
        "`tide registry hash-password`. Clients put user:password in TIDE_REGISTRY__URL.",
    )


class LakeSettings(BaseModel):
    """Where the Iceberg catalog and warehouse live."""

    model_config = ConfigDict(frozen=True)

    catalog_uri: str | None = Field(
        None, description="SQLAlchemy URI of the Iceberg SQL catalog; default SQLite in data_dir."
    )
    warehouse: str | None = Field(
        None, description="Warehouse location (file:// or s3://); default <data_dir>/warehouse."
    )
    namespace: str = Field("tide", description="Iceberg namespace holding Tide's tables.")
    s3_endpoint: str | None = Field(
        None,
        description="S3-compatible endpoint of an s3:// warehouse (MinIO, moto); path-style "
        "access is used. Credentials come from the standard AWS_* variables.",
    )

    def catalog_properties(self) -> dict[str, str]:
        """pyiceberg catalog properties derived from these settings."""
        if self.s3_endpoint is None:
            return {}
        return {"s3.endpoint": self.s3_endpoint, "s3.path-style-access": "true"}


class SqlSettings(BaseModel):
    """Limits of `tide sql` and the shell, and where `tide sql serve` listens."""

    model_config = ConfigDict(frozen=True)

    timeout_seconds: float = Field(
        300.0,
        ge=0,
        description="A statement running longer is interrupted (0: no limit); `--timeout` "
        "per call. The ceiling of a request's timeout_s on `tide sql serve`.",
    )
    max_rows: int = Field(
        10_000,
        ge=0,
        description="Rows a result keeps; more are cut, and the cut is said (0: no limit); "
        "`--max-rows` per call. The ceiling of a request's max_rows on `tide sql serve`.",
    )
    host: str = Field("127.0.0.1", description="Interface `tide sql serve` binds.")
    port: int = Field(8083, ge=0, le=65535, description="Port `tide sql serve` binds.")
    users: dict[str, str] = Field(
        default_factory=dict,
        description='Basic auth of `tide sql serve`, off when empty: JSON {"user": "<hash>"}, '
        "hashes from `tide registry hash-password`.",
    )


class StreamSettings(BaseModel):
    """Event-time windowing of the stream worker (defaults of the jobs it runs)."""

    model_config = ConfigDict(frozen=True)

    window_seconds: int = Field(60, ge=1, description="Tumbling window size.")
    lateness_seconds: int = Field(
        10, ge=0, description="A window fires when the watermark passes its end plus this."
    )
    out_of_orderness_seconds: int = Field(
        0, ge=0, description="A partition's watermark is its newest event time minus this."
    )
    idle_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A partition caught up and silent this long is idle: it stops holding "
        "back the watermark (and when every partition is idle, the last windows fire).",
    )
    max_skew_seconds: int = Field(
        3600,
        ge=1,
        description="An event time further ahead of the wall clock than this is a dead letter.",
    )
    checkpoint_interval_seconds: float = Field(
        2.0, gt=0, description="How often state and source offsets are checkpointed together."
    )
    jobs: list[str] = Field(
        default_factory=list, description="Jobs `tide worker` runs; empty: every known job."
    )
    jobs_file: Path | None = Field(None, description="A TOML file of more window jobs.")
    exactly_once: bool = Field(
        False,
        description="Kafka transactions around each checkpoint, so read_committed readers see "
        "every final record exactly once (refused on a broker that cannot abort transactions, "
        "as the embedded one). Without it: one identical final record per key and window.",
    )
    web_port: int = Field(
        0, ge=0, le=65535, description="Worker's web port (/metrics, /jobs); 0 picks a free one."
    )


class ProducerSettings(BaseModel):
    """Resilience of the write path."""

    model_config = ConfigDict(frozen=True)

    breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures of a dependency that open its circuit."
    )
    breaker_reset_seconds: float = Field(
        5.0, gt=0, description="How long an open circuit refuses calls before one trial."
    )
    subject_strategy: SubjectStrategy = Field(
        SubjectStrategy.TOPIC_NAME,
        description="How value subjects are named: TopicName, RecordName or TopicRecordName.",
    )


class OrderSettings(BaseModel):
    """Where the order command API and the read models listen (`tide up` runs both)."""

    model_config = ConfigDict(frozen=True)

    port: int = Field(8093, ge=0, le=65535, description="Port of `tide orders serve`.")
    projections_port: int = Field(
        8092, ge=0, le=65535, description="Port of `tide projections serve`."
    )


class ConsoleSettings(BaseModel):
    """Where the web console listens (`tide console`; `tide up` runs it)."""

    model_config = ConfigDict(frozen=True)

    port: int = Field(8088, ge=0, le=65535, description="Port of `tide console`.")
    refresh_seconds: float = Field(
        2.0,
        ge=0.2,
        le=60,
        description="How often the open pages' sections are recomputed and "
        "pushed when they changed (server-sent events).",
    )
    users: dict[str, str] = Field(
        default_factory=dict,
        description="Basic auth of the console's actions (submit, cancel a job), as the "
        "registry's users; when empty, the registry's users (TIDE_REGISTRY__USERS) if any.",
    )


class TideSettings(BaseSettings):
    """Everything a Tide process needs to find its peers and its data."""

    model_config = SettingsConfigDict(
        env_prefix="TIDE_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    data_dir: Path = Field(Path(".tide"), description="Local state: registry, lake, outbox.")
    kafka: KafkaSettings = KafkaSettings()
    registry: RegistrySettings = RegistrySettings()
    lake: LakeSettings = LakeSettings()
    streams: StreamSettings = StreamSettings()
    producer: ProducerSettings = ProducerSettings()
    sql: SqlSettings = SqlSettings()
    orders: OrderSettings = OrderSettings()
    console: ConsoleSettings = ConsoleSettings()

    @property
    def registry_database(self) -> Path:
        return self.registry.database or self.data_dir / "registry.sqlite"

    @property
    def catalog_uri(self) -> str:
        return self.lake.catalog_uri or f"sqlite:///{(self.data_dir / 'catalog.sqlite').resolve()}"

    @property
    def warehouse(self) -> str:
        return self.lake.warehouse or (self.data_dir / "warehouse").resolve().as_uri()
