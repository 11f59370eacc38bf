"""Reads of the bilans: a patient's documents, what one user reads of them, and the risk reports
R-R5 asks for."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import BooleanField, F, Max, Q, QuerySet, UUIDField, Value
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kernel.codes import code_matches
from patients.models import FULL_NAME_FIELDS, CareTeamGrant, Patient
from practitioners.models import User
from prescriptions.models import Prescription, Renewal
from prescriptions.selectors import prescriptions_visible_to

from . import access
from .models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport, Status


def _readable(
    queryset: QuerySet[Any], *, user: User, patient: Patient, recorder: bool
) -> QuerySet[Any]:
    """Narrow `queryset` (one patient's documents) to what `user` reads (access.py)."""
    if recorder:
        return queryset.filter(Q(author=user) | ~Q(status=Status.DRAFT))
    if access.is_reader_physician(user, patient):  # médecin traitant: every shared document
        return queryset.filter(status=Status.SIGNED, share_agreement=True)
    return queryset.filter(
        status=Status.SIGNED, share_agreement=True, prescription__prescriber=user
    )


@dataclass(frozen=True)
class TimelineRow:
    """One item of the patient's timeline: a prescription, an entry bilan, a compte rendu, a
    physiotherapist's renewal or adaptation, an exit bilan."""

    kind: str  # "prescription", "entry", "report", "renewal", "exit"
    pk: Any  # a renewal's row carries its prescription's key (its page is the prescription's)
    performed_on: date
    created_at: Any
    status: str  # a bilan's status, a prescription's status, a renewal's kind
    risk_flag: bool
    author_name: str
    reference: str
    entry_id: Any  # an exit bilan's entry bilan

    @property
    def is_prescription_side(self) -> bool:
        return self.kind in ("prescription", "renewal")

    @property
    def is_signed(self) -> bool:
        return self.is_prescription_side or self.status == Status.SIGNED

    @property
    def is_cancelled(self) -> bool:
        return self.kind == "prescription" and self.status == Prescription.Status.CANCELLED

    @property
    def kind_label(self) -> str:
        if self.kind == "renewal":
            return str(RENEWAL_LABELS.get(self.status, KIND_LABELS["renewal"]))
        return str(KIND_LABELS[self.kind])

    @property
    def url(self) -> str:
        if self.is_prescription_side:
            return reverse("prescriptions:detail", kwargs={"pk": self.pk})
        return reverse(f"bilans:{self.kind}_detail", kwargs={"pk": self.pk})


KIND_LABELS = {
    "prescription": _lazy("Prescription d'activité physique adaptée"),
    "entry": EntryBilan.kind_label,
    "report": ProgressReport.kind_label,
    "renewal": _lazy("Renouvellement par le masseur-kinésithérapeute"),
    "exit": ExitBilan.kind_label,
}
RENEWAL_LABELS: dict[str, Any] = {
    Renewal.Kind.RENEWAL: _lazy("Renouvellement par le masseur-kinésithérapeute"),
    Renewal.Kind.ADAPTATION: _lazy("Adaptation par le masseur-kinésithérapeute"),
}
# The columns of the UNION, in order: each kind names its own fields in these places.
TIMELINE_COLUMNS = (
    "kind",
    "pk",
    "performed_on",
    "created_at",
    "row_status",
    "risk_flag",
    "author__first_name",
    "author__last_name",
    "author__username",
    "prescription__reference",
    "row_entry",
)
PRESCRIPTION_COLUMNS = (
    "kind",
    "pk",
    "prescribed_on",
    "issued_at",
    "status",
    "row_risk",
    "prescriber__first_name",
    "prescriber__last_name",
    "prescriber__username",
    "reference",
    "row_entry",
)
RENEWAL_COLUMNS = (
    "row_kind",
    "prescription_id",
    "performed_on",
    "created_at",
    "kind",
    "row_risk",
    "physio_first_name",
    "physio_last_name",
    "physiotherapist__username",
    "prescription__reference",
    "row_entry",
)


# A typed NULL: in a UNION, PostgreSQL types a bare NULL as text before it meets the exit
# bilans' uuid column, and refuses the mix.
NO_ENTRY = Cast(Value(None), output_field=UUIDField())
NO_RISK = Value(False, output_field=BooleanField())


def patient_documents(*, user: User, patient: Patient, recorder: bool) -> list[TimelineRow]:
    """The patient's timeline as `user` reads it, oldest first: prescription → entry bilan →
    comptes rendus → renewal → exit bilan (R-B4). Each item only for whoever may read it: the
    prescriptions and their renewals `prescriptions_visible_to(user)` (signed ones, never a
    draft), the bilans and comptes rendus of `access.py`. One query (a UNION of the five kinds)."""
    entries = _readable(
        EntryBilan.objects.filter(patient=patient).annotate(
            kind=Value("entry"), row_status=F("status"), row_entry=NO_ENTRY
        ),
        user=user,
        patient=patient,
        recorder=recorder,
    )
    exits = _readable(
        ExitBilan.objects.filter(patient=patient).annotate(
            kind=Value("exit"), row_status=F("status"), row_entry=F("entry_id")
        ),
        user=user,
        patient=patient,
        recorder=recorder,
    )
    reports = ProgressReport.objects.filter(patient=patient).annotate(
        kind=Value("report"),
        row_status=Value(Status.SIGNED.value),
        row_entry=NO_ENTRY,
    )
    if not recorder:
        reports = reports.filter(share_agreement=True)
        if not access.is_reader_physician(user, patient):
            reports = reports.filter(prescription__prescriber=user)
    prescriptions = prescriptions_visible_to(user).filter(patient=patient, issued_at__isnull=False)
    renewals = Renewal.objects.filter(prescription__in=prescriptions.values("pk")).annotate(
        row_kind=Value("renewal"), row_risk=NO_RISK, row_entry=NO_ENTRY
    )
    prescriptions = prescriptions.annotate(
        kind=Value("prescription"), row_risk=NO_RISK, row_entry=NO_ENTRY
    )
    union = (
        entries.order_by()
        .values_list(*TIMELINE_COLUMNS)
        .union(
            reports.order_by().values_list(*TIMELINE_COLUMNS),
            exits.order_by().values_list(*TIMELINE_COLUMNS),
            prescriptions.order_by().values_list(*PRESCRIPTION_COLUMNS),
            renewals.order_by().values_list(*RENEWAL_COLUMNS),
            all=True,
        )
    )
    rows = []
    for kind, pk, day, created, status, risk, first, last, username, ref, entry_id in union:
        author = f"{first} {last.upper()}".strip() or username
        rows.append(TimelineRow(kind, pk, day, created, status, risk, author, ref, entry_id))
    # Same day: the prescription first, then in the order they were recorded.
    return sorted(
        rows, key=lambda row: (row.performed_on, row.kind != "prescription", row.created_at)
    )


def entry_get(*, pk: Any) -> EntryBilan:
    """One entry bilan (404 when it does not exist); the view decides who reads it."""
    return get_object_or_404(
        EntryBilan.objects.select_related(
            "patient", "prescription__prescriber", "author", "issued"
        ).defer("issued__pdf"),
        pk=pk,
    )


def exit_get(*, pk: Any) -> ExitBilan:
    return get_object_or_404(
        ExitBilan.objects.select_related(
            "patient", "prescription__prescriber", "author", "entry", "issued"
        ).defer("issued__pdf"),
        pk=pk,
    )


def entry_signed_for(prescription: Prescription | None) -> bool:
    """Whether `prescription` has its signed entry bilan: what a compte rendu follows (R-B2
    after R-B1; `services.progress_report_create` refuses without it)."""
    return prescription is not None and (
        EntryBilan.objects.filter(prescription=prescription, status=Status.SIGNED).exists()
    )


def exit_exists(*, entry: EntryBilan) -> bool:
    """Whether `entry` already has its exit bilan (at most one: R-B3, and the one-to-one)."""
    return ExitBilan.objects.filter(entry=entry).exists()


def report_get(*, pk: Any) -> ProgressReport:
    return get_object_or_404(
        ProgressReport.objects.select_related(
            "patient", "prescription__prescriber", "author", "issued"
        ).defer("issued__pdf"),
        pk=pk,
    )


RISK_COLUMNS = (
    "performed_on",
    "created_at",
    "risk_flag",
    "risk_description",
    "author__first_name",
    "author__last_name",
    "author__username",
)


def signed_documents_since(*, patient_id: Any, since: date) -> list[dict[str, Any]]:
    """R-R5: the patient's signed bilans and comptes rendus dated `since` or later, oldest
    first (the latest one tells whether a difficulty or risk is still reported). One query
    (a UNION of the three kinds), values only."""
    entries = (
        EntryBilan.objects.filter(
            patient_id=patient_id, status=Status.SIGNED, performed_on__gte=since
        )
        .values_list(*RISK_COLUMNS)
        .order_by()
    )
    exits = (
        ExitBilan.objects.filter(
            patient_id=patient_id, status=Status.SIGNED, performed_on__gte=since
        )
        .values_list(*RISK_COLUMNS)
        .order_by()
    )
    reports = (
        ProgressReport.objects.filter(patient_id=patient_id, performed_on__gte=since)
        .values_list(*RISK_COLUMNS)
        .order_by()
    )
    rows = [
        dict(zip(RISK_COLUMNS, row, strict=True)) for row in entries.union(reports, exits, all=True)
    ]
    return sorted(rows, key=lambda row: (row["performed_on"], row["created_at"]))


# --- The professional's home: the next step due, per patient oriented to them -------------------
@dataclass(frozen=True)
class NextStep:
    patient: Patient
    reference: str  # the prescription's, "" when none was issued
    label: str
    url: str
    urgent: bool
    order: int


@dataclass(frozen=True)
class NextSteps:
    """The most urgent steps (at most `HOME_LIMIT`) and the number of patients oriented."""

    steps: list[NextStep]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.steps)


HOME_LIMIT = 50
# Rows read as tuples: a prescription (id, status, reference, current end), an entry bilan
# (id, status, date).
_LatestRow = tuple[Any, str, str, date]
_EntryRow = tuple[Any, str, date]


@dataclass(frozen=True)
class _Due:
    """What is due for one patient, before its label and URL are written (only the shown ones
    are: `reverse` for every patient of a busy professional cost more than the queries)."""

    order: int  # 0 most urgent ... 5 nothing to do here
    kind: str
    urgent: bool = False
    reference: str = ""
    target: Any = None  # the id the step's URL needs (the entry bilan's), if any
    day: date | None = None


def next_steps(
    *,
    user: User,
    today: date,
    report_due_weeks: int,
    ending_days: int,
    limit: int | None = None,
) -> NextSteps:
    """For each patient oriented to `user`, the next step due: the entry bilan (R-B1) missing or
    to sign, a compte rendu (R-B2) not written for `report_due_weeks`, the exit bilan (R-B3) as
    the prescription ends; and the prescriptions ended or withdrawn. Every patient is weighed,
    the `limit` (HOME_LIMIT) most urgent are returned, then by name, with the number of patients.
    Six queries, whatever the number of patients; rows are read as tuples."""
    grants = CareTeamGrant.objects.filter(
        user=user, reason__in=CareTeamGrant.ORIENTED_REASONS, revoked_at__isnull=True
    )
    names = {
        pk: (birth_name, first_names)
        for pk, birth_name, first_names in Patient.objects.filter(
            pk__in=grants.values("patient_id")
        ).values_list("pk", "birth_name", "first_names")
    }
    latest: dict[Any, _LatestRow] = {}
    for row in (
        Prescription.objects.filter(patient_id__in=names, issued_at__isnull=False)
        .order_by("patient_id", "-prescribed_on", "-issued_at")
        .values_list("patient_id", "pk", "status", "reference", "current_end_date")
    ):
        latest.setdefault(row[0], row[1:])
    entries = {
        prescription_id: (pk, status, performed_on)
        for pk, prescription_id, status, performed_on in EntryBilan.objects.filter(
            prescription_id__in=[row[0] for row in latest.values()]
        ).values_list("pk", "prescription_id", "status", "performed_on")
    }
    last_reports = dict(
        ProgressReport.objects.filter(patient_id__in=names)
        .values("patient_id")
        .annotate(last=Max("performed_on"))
        .values_list("patient_id", "last")
    )
    exited = set(
        ExitBilan.objects.filter(entry_id__in=[e[0] for e in entries.values()]).values_list(
            "entry_id", flat=True
        )
    )
    report_due, ending = timedelta(weeks=report_due_weeks), timedelta(days=ending_days)
    due = {
        pk: _due(
            latest.get(pk),
            entries,
            last_reports.get(pk),
            exited,
            today=today,
            report_due=report_due,
            ending=ending,
        )
        for pk in names
    }
    limit = HOME_LIMIT if limit is None else limit
    shown = sorted(names, key=lambda pk: (due[pk].order, *names[pk], str(pk)))[:limit]
    patients = Patient.objects.only(*FULL_NAME_FIELDS, "birth_date").in_bulk(shown)
    return NextSteps(
        steps=[_step(patients[pk], due[pk]) for pk in shown],
        total=len(names),
    )


def _due(
    prescription: _LatestRow | None,
    entries: dict[Any, _EntryRow],
    last_report: date | None,
    exited: set[Any],
    *,
    today: date,
    report_due: timedelta,
    ending: timedelta,
) -> _Due:
    if prescription is None:
        return _Due(5, "no_prescription")
    prescription_id, status, reference, end = prescription
    if status == Prescription.Status.CANCELLED:
        return _Due(4, "withdrawn", reference=reference)
    entry = entries.get(prescription_id)
    ended = status == Prescription.Status.EXPIRED
    if entry is None:
        if ended:
            return _Due(4, "ended", reference=reference)
        return _Due(0, "entry_missing", True, reference)
    entry_id, entry_status, performed_on = entry
    if entry_status == Status.DRAFT:
        return _Due(0, "entry_to_sign", True, reference, entry_id)
    if entry_id in exited:
        return _Due(4, "exited", reference=reference)
    if ended or end <= today + ending:
        return _Due(1, "exit_due", True, reference, entry_id, end)
    since = max(filter(None, [last_report, performed_on]))
    if today - since >= report_due:
        return _Due(2, "report_due", True, reference, day=since)
    return _Due(3, "up_to_date", reference=reference)


def _step(patient: Patient, due: _Due) -> NextStep:
    """The step as the home page shows it: its label and where it leads."""
    day = formats.date_format(due.day, "d/m/Y") if due.day else ""
    if due.kind == "no_prescription":
        label, url = _("Pas de prescription émise"), patient.get_absolute_url()
    elif due.kind == "entry_missing":
        label = _("Bilan d'entrée à faire")
        url = reverse("bilans:entry_create", kwargs={"pk": patient.pk})
    elif due.kind == "entry_to_sign":
        label = _("Bilan d'entrée à signer")
        url = reverse("bilans:entry_detail", kwargs={"pk": due.target})
    elif due.kind == "exit_due":
        label = _("Bilan de sortie à faire (fin le %(end)s)") % {"end": day}
        url = reverse("bilans:exit_create", kwargs={"pk": due.target})
    elif due.kind == "report_due":
        label = _("Compte rendu à rédiger (rien depuis le %(date)s)") % {"date": day}
        url = reverse("bilans:report_create", kwargs={"pk": patient.pk})
    else:
        label = {
            "withdrawn": _("Prescription retirée par le médecin"),
            "ended": _("Prescription terminée"),
            "exited": _("Programme terminé (bilan de sortie)"),
            "up_to_date": _("À jour"),
        }[due.kind]
        url = reverse("bilans:patient", kwargs={"pk": patient.pk})
    return NextStep(patient, due.reference, label, url, due.urgent, due.order)


# --- The public verification page (R-B4) ----------------------------------------------------------
def issued_verified(*, reference: str, code: str) -> IssuedDocument | None:
    """The issued document with this reference and this code, or None (unknown reference or
    wrong code: the same answer). One query, without the PDF's bytes."""
    issued = (
        IssuedDocument.objects.filter(reference=reference)
        .only("reference", "verification_code", "kind", "performed_on", "signed_at")
        .first()
    )
    expected = issued.verification_code if issued is not None else None
    if not code_matches(expected, code) or issued is None:
        return None
    return issued
