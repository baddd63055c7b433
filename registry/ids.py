"""Identifiers of the registry."""

from typing import NewType

Subject = NewType("Subject", str)
SchemaId = NewType("SchemaId", int)
