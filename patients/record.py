"""The patient's record page is made of sections: identity and eligibility here, and what the
apps above add (the prescriptions' timeline, the orientations, ...), each registered by its app
in AppConfig.ready(), so that this app shows them without importing them.

A provider takes the request and the patient (already checked visible to the user) and returns
its section, or None when it has nothing to show to this user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from practitioners.http import AuthenticatedRequest

from .models import Patient


@dataclass(frozen=True)
class RecordSection:
    """A part of the record page: a template included with its own context (none: only its
    actions)."""

    template_name: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    # Actions for the page's header (label, URL, primary?), e.g. « Nouvelle prescription ».
    actions: tuple[tuple[str, str, bool], ...] = ()


SectionProvider = Callable[[AuthenticatedRequest, Patient], RecordSection | None]
_providers: list[tuple[int, str, SectionProvider]] = []


def register_section(name: str, provider: SectionProvider, *, order: int) -> None:
    """Add a section to the record page (idempotent by `name`); lower `order` comes first."""
    _providers[:] = [entry for entry in _providers if entry[1] != name]
    _providers.append((order, name, provider))
    _providers.sort(key=lambda entry: (entry[0], entry[1]))


def record_sections(request: AuthenticatedRequest, patient: Patient) -> list[RecordSection]:
    sections = (provider(request, patient) for _order, _name, provider in _providers)
    return [section for section in sections if section is not None]
