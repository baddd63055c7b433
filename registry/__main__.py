"""`python -m registry --port N`: the registry server alone (used by the local-stack supervisor)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from registry.server import serve
from tide.logs import configure


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m registry")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", type=Path, required=True)
    args = parser.parse_args()
    configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    serve(args.host, args.port, args.database)


main()
