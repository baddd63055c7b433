"""A child server process that is ready when a condition holds, and stops cleanly."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tide.stack.errors import StackError

log = logging.getLogger(__name__)


class ServerProcess:
    """Start ``argv``, wait until ``ready()`` is true, and terminate it on ``stop()``."""

    def __init__(
        self, name: str, argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool], timeout_s: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:  # a restart appends: the death stays readable
            self._proc = subprocess.Popen(  # noqa: S603 - argv is built by us, not a shell
                self.argv, stdout=out, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise StackError(f"{self.name} exited with {self._proc.returncode}: {self._tail()}")
            if ready():
                log.info("ready", extra={"server": self.name, "pid": self._proc.pid})
                return
            time.sleep(0.05)  # polling interval of the readiness condition, not a sync sleep
        self.stop()
        raise StackError(f"{self.name} not ready after {timeout_s:.0f}s: {self._tail()}")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def kill(self) -> None:
        """Kill -9, as a crash would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        log.info("stopped", extra={"server": self.name})

    def _tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"
