"""The typed contracts of the prescription's writes: what the physician's form builds and the
services take (`PrescriptionContent`, `AssessmentInput`), and the physiotherapist's adaptation
(`Recommendations`). The field lists of the forms, the services and the factories derive from
these classes: each field is named once here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Self

from . import rules


@dataclass(frozen=True, kw_only=True)
class Recommendations:
    """R-P3 (CSP D.1172-2): the structured recommendations, of the physician's prescription and
    of the physiotherapist's adaptation (CSP D.1172-2-1: type, intensity, frequency, duration)."""

    activity_types: list[str] = field(default_factory=list)
    sessions_per_week: int | None = None
    intensity: str = ""
    session_minutes: int | None = None
    recommendations_text: str = ""

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, source: Any) -> Self:
        """The values of these fields on `source` (a prescription, a renewal)."""
        return cls(**{name: getattr(source, name) for name in cls.field_names()})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def normalized(self) -> Self:
        """Known activity types only, in the choices' order; texts stripped."""
        values = self.as_dict()
        values["activity_types"] = rules.known_choices(self.activity_types, rules.ActivityType)
        values["intensity"] = self.intensity or ""
        values["recommendations_text"] = (self.recommendations_text or "").strip()
        return type(self)(**values)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in Recommendations.field_names())


@dataclass(frozen=True, kw_only=True)
class PrescriptionContent(Recommendations):
    """What the physician writes and signs (R-P1 to R-P3); frozen once issued (R-P4)."""

    start_date: date
    duration_months: int
    restriction_picks: list[str] = field(default_factory=list)
    restrictions_text: str = ""
    physician_renewal_required: bool = False
    physician_renewal_reason: str = ""
    patient_agreement: bool = False

    def normalized(self) -> Self:
        values = super().normalized().as_dict()
        values["restriction_picks"] = rules.known_choices(
            self.restriction_picks, rules.RestrictionPick
        )
        if not self.physician_renewal_required:
            values["physician_renewal_reason"] = ""
        return type(self)(**values)


@dataclass(frozen=True, kw_only=True)
class AssessmentInput:
    """R-L1 to R-L3: the three functions' ratings, the severe indicators ticked, and the level
    the physician confirms (R-L2)."""

    locomotor: int
    cerebral: int
    sensory: int
    confirmed_level: int
    severe_indicators: list[str] = field(default_factory=list)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, assessment: Any) -> Self:
        return cls(**{name: getattr(assessment, name) for name in cls.field_names()})

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["severe_indicators"] = [
            i.code for i in rules.SEVERE_INDICATORS if i.code in set(self.severe_indicators)
        ]
        return values
