"""Identifiers of the registry."""

from typing import NewType

Subject = NewType("Subject", str)
SchemaId = NewType("SchemaId", int)

# Ids and version numbers are Java ints in Confluent's API: 1 .. 2^31-1.
INT32_END = 2**31
