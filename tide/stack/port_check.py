"""Is a loopback port taken, and by which process — so `tide up` refuses it by name instead of
quietly using whatever answers there (a foreign registry on 8081)."""

from __future__ import annotations

import socket
from pathlib import Path

from tide.stack.errors import StackError


def taken(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on ``host:port`` (or the port cannot be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def holder(port: int) -> str:
    """``pid N (command line)`` of the process listening on ``port``, as Linux's /proc says;
    ``an unknown process`` where it cannot tell (another user's, another OS)."""
    inodes = _listening_inodes(port)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            links = {str(fd.readlink()) for fd in (proc / "fd").iterdir()}
            if any(f"socket:[{inode}]" in links for inode in inodes):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                return f"pid {proc.name} ({command[:120]})"
        except OSError:
            continue
    return "an unknown process"


def ensure_free(ports: dict[str, int]) -> None:
    """StackError naming each taken port, what it is for, and what holds it."""
    busy = [f"port {port} ({what}) is taken by {holder(port)}"
            for what, port in ports.items() if taken(port)]  # fmt: skip
    if busy:
        raise StackError(
            "; ".join(busy) + ": stop it, or choose other ports "
            "(TIDE_KAFKA__BOOTSTRAP_SERVERS, TIDE_REGISTRY__PORT)"
        )


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            listening = len(fields) > 9 and fields[3] == "0A"  # LISTEN
            if listening and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes
