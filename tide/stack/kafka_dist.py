"""Where the Apache Kafka jars are (fetched by ``make kafka``) and whether Kafka can run here.

``scripts/fetch-kafka.sh`` puts the jars of ``scripts/kafka-dist/pom.xml`` in
``$TIDE_KAFKA_HOME/libs`` (default ``~/.cache/tide/kafka-4.4.0``) and writes the stamp
``fetched.stamp`` only after a complete copy. ``TIDE_KAFKA_HOME`` is read here, not through
``TideSettings``: it locates a tool cache shared with that script, not a setting of a
deployable.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

KAFKA_VERSION = "4.4.0"
MIN_JAVA = 17
_JAVA_VERSION = re.compile(r'version "(?:1\.)?(\d+)')  # "17.0.15", or "1.8.0_392" (8)


def kafka_home() -> Path:
    """The folder holding ``libs/``, ``log4j2.yaml`` and the fetch stamp."""
    configured = os.environ.get("TIDE_KAFKA_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "tide" / f"kafka-{KAFKA_VERSION}"


def kafka_classpath() -> str:
    """The JVM classpath of the broker: every jar in ``libs/`` (java expands the ``*``)."""
    return str(kafka_home() / "libs" / "*")


def log4j_config() -> Path:
    """The broker's log4j2 configuration (everything to stdout)."""
    return kafka_home() / "log4j2.yaml"


def java_binary() -> str | None:
    """The ``java`` on PATH, if any."""
    return shutil.which("java")


def java_major(java: str) -> int | None:
    """The major version ``java -version`` reports (8 for 1.8), or None if it cannot tell."""
    try:
        result = subprocess.run(  # noqa: S603 - a fixed argv, no shell
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _JAVA_VERSION.search(result.stderr + result.stdout)
    if found is None:
        return None
    return int(found.group(1))


def kafka_unavailable_reason() -> str | None:
    """None when Kafka can run here (java 17+ and fetched jars), else one line saying why."""
    java = java_binary()
    if java is None:
        return "java not found: Apache Kafka needs Java 17+ on PATH"
    major = java_major(java)
    if major is None:
        return f"could not tell the version of {java}: Apache Kafka needs Java 17+"
    if major < MIN_JAVA:
        return f"java {major} found at {java}: Apache Kafka {KAFKA_VERSION} needs Java 17+"
    home = kafka_home()
    if not (home / "fetched.stamp").is_file() or not (home / "libs").is_dir():
        return f"Kafka jars not fetched into {home}: run `make kafka`"
    return None
