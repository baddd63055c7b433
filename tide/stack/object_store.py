"""A local S3 endpoint (moto_server): durable storage for the embedded broker in tests and demos
that restart it, and an s3:// warehouse without a cloud."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx

from tide.stack.errors import StackError
from tide.stack.process import ServerProcess

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "tide", "AWS_SECRET_ACCESS_KEY": "tide-secret"}
REGION = "us-east-1"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


class LocalObjectStore:
    """``moto_server`` on ``127.0.0.1:port``; buckets live as long as the process does."""

    def __init__(self, port: int, log_dir: Path) -> None:
        self.endpoint = f"http://127.0.0.1:{port}"
        binary = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        if binary is None:
            raise StackError("moto_server not found: install the dev extras (`make install`)")
        argv = [binary, "-H", "127.0.0.1", "-p", str(port)]
        self._process = ServerProcess("object-store", argv, log_dir / f"s3-{port}.log")

    def start(self, timeout_s: float = 30.0) -> None:
        self._process.start(lambda: _answers(self.endpoint), timeout_s)

    def create_bucket(self, name: str) -> None:
        response = httpx.put(f"{self.endpoint}/{name}", timeout=5.0)
        if response.status_code >= 300 and "BucketAlreadyOwnedByYou" not in response.text:
            raise StackError(f"cannot create bucket {name}: {response.status_code}")

    def broker_env(self) -> dict[str, str]:
        """What Tansu's s3:// storage engine needs to reach this endpoint."""
        return {
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
        }

    def stop(self) -> None:
        self._process.stop()
