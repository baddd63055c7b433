"""`python -m registry --port N`: the registry server alone (used by the local-stack supervisor)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from registry.server import KafkaStoreOptions, serve
from tide.logs import configure
from tide.settings import TideSettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m registry")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", type=Path, help="SQLite file (the embedded store)")
    parser.add_argument("--bootstrap-servers", help="share a Kafka log with other instances")
    parser.add_argument("--topic", default="_schemas")
    parser.add_argument("--advertised-url", help="URL other instances forward writes to")
    parser.add_argument("--lease-seconds", type=float, default=3.0)
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args()
    if (args.database is None) == (args.bootstrap_servers is None):
        parser.error("give exactly one of --database and --bootstrap-servers")
    configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    kafka = None
    if args.bootstrap_servers:
        advertised = args.advertised_url or f"http://{args.host}:{args.port}"
        kafka = KafkaStoreOptions(
            args.bootstrap_servers,
            args.topic,
            advertised,
            args.lease_seconds,
            args.replication_factor,
        )
    serve(args.host, args.port, args.database, kafka, TideSettings().registry.users)


main()
