"""Deterministic CMR identifiers for synthetic records (stable across runs and machines)."""

from __future__ import annotations

import hashlib


def _number(text: str, low: int, span: int) -> int:
    digest = hashlib.sha256(text.encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % span


def granule_concept_id(provider: str, granule_ur: str) -> str:
    """A ``G<10 digits>-<PROVIDER>`` id derived from the provider and GranuleUR."""
    return f"G{_number(f'{provider}/{granule_ur}', 3_000_000_000, 999_999_999)}-{provider}"


def ecs_granule_ur(short_name: str, version: str, file_name: str) -> str:
    """The ``SC:<SN>.<VVV>:<number>`` GranuleUR NSIDC's on-premises ECS gives its granules."""
    return f"SC:{short_name}.{version}:{_number(file_name, 300_000_000, 99_999_999)}"


def hours_offset(text: str, max_hours: int) -> int:
    """A stable pseudo-random number of hours in ``[0, max_hours)`` (for production dates)."""
    return _number(text, 0, max_hours)
