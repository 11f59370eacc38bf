"""Reads of patients, already scoped to what the user may see (need-to-know).

The access model (README, "Qui voit quoi"):
- superusers see every patient;
- physicians and admin staff see the patients of their structure, plus those whose care team
  they were explicitly granted;
- every other practitioner (physiotherapists, APA professionals) sees only the patients whose
  care team they were granted (a prescription look-up, an orientation).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.shortcuts import get_object_or_404

from kernel.text import fold
from practitioners.models import User

from . import rules
from .access import is_active_user, sees_the_structure
from .models import CareTeamGrant, Patient


def active_grants(user: User) -> QuerySet[CareTeamGrant]:
    return CareTeamGrant.objects.filter(user=user, revoked_at__isnull=True)


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Every patient `user` may see; empty for an anonymous or inactive user (deny by default)."""
    patients = Patient.objects.all()
    if not is_active_user(user):
        return patients.none()
    if user.is_superuser:
        return patients
    granted = Q(pk__in=active_grants(user).values("patient_id"))
    if sees_the_structure(user):
        if connection.vendor == "postgresql":
            # `structure OR id IN (subquery)` makes PostgreSQL scan every patient (a hashed
            # subplan cannot use an index); `id = ANY(ARRAY(subquery))` is computed once and
            # combined with the structure's index: 6x faster at 100,000 patients
            # (bench/RESULTS.md).
            granted = Q(
                _EqualsAny(F("pk"), ArraySubquery(active_grants(user).values("patient_id")))
            )
        return patients.filter(Q(structure_id=user.structure_id) | granted)
    return patients.filter(granted)


def patients_visible_count(user: User, *, cap: int) -> int:
    """How many patients `user` may see, counted up to `cap + 1` (the lists say « plus de »).

    The same patients as `patients_visible_to`, counted in two parts: counted at once,
    `structure OR granted` makes PostgreSQL read the table until it has found `cap + 1` of them
    (5,000 rows for 1,001 when the structure holds a fifth of the patients: 3-9 ms); apart, the
    structure's patients are an index-only scan (0.2 ms) and the others granted are a few.
    """
    if not (is_active_user(user) and not user.is_superuser) or not sees_the_structure(user):
        return patients_visible_to(user).order_by()[: cap + 1].count()
    assert user.structure_id is not None  # sees_the_structure(user): for mypy
    in_structure = Patient.objects.filter(structure_id=user.structure_id)[: cap + 1].count()
    if in_structure > cap:
        return in_structure
    elsewhere = (
        Patient.objects.filter(pk__in=active_grants(user).values("patient_id"))
        .exclude(structure_id=user.structure_id)
        .order_by()[: cap + 1 - in_structure]
        .count()
    )
    return in_structure + elsewhere


class _EqualsAny(Expression):
    """`lhs = ANY(rhs)`, rhs an array (PostgreSQL)."""

    output_field = BooleanField()
    conditional = True

    # Any: an F() here becomes a column once resolved (as in Django's own expressions).
    def __init__(self, lhs: Any, rhs: Any) -> None:
        super().__init__()
        self.lhs, self.rhs = lhs, rhs

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs, self.rhs]

    def set_source_expressions(self, expressions: Sequence[Any]) -> None:
        self.lhs, self.rhs = expressions

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        rhs_sql, rhs_params = compiler.compile(self.rhs)
        return f"{lhs_sql} = ANY({rhs_sql})", (*lhs_params, *rhs_params)


def patient_get_visible(*, user: User, pk: Any) -> Patient:
    """The patient `pk` if `user` may see it (404 otherwise: its existence is not told)."""
    return get_object_or_404(
        patients_visible_to(user).select_related("structure", "physician_in_charge"), pk=pk
    )


def patient_is_visible(*, user: User, patient: Patient) -> bool:
    return patients_visible_to(user).filter(pk=patient.pk).exists()


def patient_term_q(term: str, prefix: str = "") -> Q:
    """One word of a patient search: a birth date (12/03/1956, 12031956, 1956-03-12), a month
    (03/1956) or a name, accent- and case-insensitive, any word a prefix, hyphens and spaces the
    same. `prefix` reaches the patient from another model ("patient__")."""
    birth_date = parse_french_date(term)
    if birth_date is not None:
        return Q(**{f"{prefix}birth_date": birth_date})
    month = rules.parse_month(term)
    if month is not None:
        return Q(**{f"{prefix}birth_date__year": month[0], f"{prefix}birth_date__month": month[1]})
    condition = Q()
    field = f"{prefix}search_name"
    for word in rules.name_search_words(term):
        # search_name holds the folded names separated by spaces, a compound name with its
        # hyphen or apostrophe: a prefix of any word or of any part of a compound one (on
        # PostgreSQL a trigram index serves these LIKE queries, patients migration 0004).
        condition &= (
            Q(**{f"{field}__startswith": word})
            | Q(**{f"{field}__contains": f" {word}"})
            | Q(**{f"{field}__contains": f"-{word}"})
            | Q(**{f"{field}__contains": f"'{word}"})
        )
    return condition


def patient_search(queryset: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    """Filter by every word of `query` (`patient_term_q`): "hel dup" finds Hélène Dupont;
    "jean pierre" finds Jean-Pierre; "03/1956" the patients born that month."""
    # PostgreSQL refuses NUL in a text parameter (a 500): a search term never needs one.
    for term in query.replace("\x00", "").split():
        queryset = queryset.filter(patient_term_q(term))
    return queryset


def parse_french_date(text: str) -> date | None:
    """`12/03/1956`, `12-03-1956`, `12.03.1956`, `12031956` or ISO `1956-03-12`; None
    otherwise (patients.rules.parse_date)."""
    return rules.parse_date(text)


def patient_duplicates(
    *, birth_name: str, first_names: str, birth_date: date, exclude_pk: Any = None
) -> QuerySet[Patient]:
    """Patients with the same birth name, first name and birth date (a warning, not a refusal).

    Compared accent- and case-insensitively on the first of the first names.
    """
    first = fold(first_names.split()[0]) if first_names.split() else ""
    folded_name = fold(birth_name)
    candidates = Patient.objects.filter(birth_date=birth_date, search_name__startswith=folded_name)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    return candidates.filter(Q(search_name__contains=f" {first}"))
