"""The bilans and comptes rendus of the dispensing professional (CSP D.1172-5, R-B1 to R-B4).

Built and changed only through `bilans.services`. A bilan is a draft until its author signs it;
once signed it is never edited (a correction is a new document). A compte rendu is signed when
it is recorded.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kernel.models import CheckedModel
from prescriptions.rules import ActivityType, Intensity, labels

from . import rules
from .rules import TESTS, TESTS_BY_KEY, BorgScale, NotDone, Place, Proposal, Stage

MSG_RISK_WITHOUT_WORDS = _("Décrivez la difficulté ou le risque signalé.")


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SIGNED = "signed", _("Signé")


def _not_done_field(label: str) -> models.CharField:
    return models.CharField(
        _("%(label)s : non réalisé (raison)") % {"label": label},
        max_length=20,
        choices=NotDone.choices,
        blank=True,
    )


class Document(CheckedModel):
    """What every bilan and compte rendu has: its patient, the prescription it follows, its
    author, its date, the patient's agreement to send it (R-B4), and a difficulty or risk flag
    (R-B2, read by R-R5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+"
    )
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("intervenant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    performed_on = models.DateField(_("date"))
    # R-B4: sent to the prescriber and the médecin traitant only with the patient's agreement.
    share_agreement = models.BooleanField(
        _("le patient accepte l'envoi au médecin prescripteur et au médecin traitant"),
        default=False,
    )
    risk_flag = models.BooleanField(_("difficulté ou risque signalé"), default=False)
    risk_description = models.TextField(_("description de la difficulté ou du risque"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


def _risk_check(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(risk_flag=False) | ~Q(risk_description=""),
        name=f"{prefix}_risk_has_words",
        violation_error_code="risk_without_words",
        violation_error_message=MSG_RISK_WITHOUT_WORDS,
    )


class Assessment(Document):
    """The tests and the motivational bilan shared by the entry and exit bilans (R-B1, R-B3).

    Each test has a value or a reason it was not done, never both; a signed bilan has one or the
    other for every test (nothing is invented, nothing is silently missing).
    """

    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)

    six_minute_walk_m = models.PositiveSmallIntegerField(
        _("test de marche de 6 minutes (m)"), null=True, blank=True
    )
    six_minute_walk_m_not_done = _not_done_field("6 minutes")
    sit_to_stand_reps = models.PositiveSmallIntegerField(
        _("lever de chaise en 30 s (répétitions)"), null=True, blank=True
    )
    sit_to_stand_reps_not_done = _not_done_field("lever de chaise")
    tug_seconds = models.DecimalField(
        _("Timed Up and Go (s)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    tug_seconds_not_done = _not_done_field("TUG")
    one_leg_stance_seconds = models.DecimalField(
        _("appui unipodal (s, 60 au plus)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    one_leg_stance_seconds_not_done = _not_done_field("appui unipodal")
    handgrip_kg = models.DecimalField(
        _("force de préhension (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    handgrip_kg_not_done = _not_done_field("préhension")
    weight_kg = models.DecimalField(
        _("poids (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg_not_done = _not_done_field("poids")
    height_cm = models.PositiveSmallIntegerField(_("taille (cm)"), null=True, blank=True)
    height_cm_not_done = _not_done_field("taille")
    waist_cm = models.PositiveSmallIntegerField(_("tour de taille (cm)"), null=True, blank=True)
    waist_cm_not_done = _not_done_field("tour de taille")
    borg_scale = models.CharField(
        _("échelle de Borg"), max_length=10, choices=BorgScale.choices, blank=True
    )
    borg_value = models.DecimalField(
        _("Borg (effort perçu)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    borg_value_not_done = _not_done_field("Borg")
    # Ricci & Gagnon: each item's points (rules.RICCI_GAGNON), the score is computed.
    activity_items = models.JSONField(
        _("questionnaire de Ricci et Gagnon (points par question)"), default=list, blank=True
    )
    activity_items_not_done = _not_done_field("questionnaire")

    # The motivational bilan.
    stage = models.CharField(
        _("stade de changement"), max_length=20, choices=Stage.choices, blank=True
    )
    goals = models.TextField(_("objectifs"), blank=True)
    barriers = models.TextField(_("freins"), blank=True)
    resources = models.TextField(_("ressources"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status == Status.SIGNED

    @property
    def bmi(self):
        if self.weight_kg is None or self.height_cm is None:
            return None
        return rules.bmi(weight_kg=self.weight_kg, height_cm=self.height_cm)

    @property
    def activity_score(self) -> int | None:
        if not self.activity_items:
            return None
        try:
            return rules.questionnaire_score(rules.RICCI_GAGNON, self.activity_items)
        except ValueError:
            return None

    def test_rows(self) -> list[dict]:
        """Each test with its value (or why not done), its unit: for the pages."""
        rows = []
        for spec in TESTS:
            rows.append(
                {
                    "spec": spec,
                    "value": getattr(self, spec.key),
                    "not_done": getattr(self, f"get_{spec.key}_not_done_display")(),
                }
            )
        return rows


def assessment_constraints(prefix: str) -> list[models.BaseConstraint]:
    constraints: list[models.BaseConstraint] = [_risk_check(prefix)]
    for key in [spec.key for spec in TESTS] + ["borg_value"]:
        # A value or a reason it was not done, never both.
        constraints.append(
            models.CheckConstraint(
                condition=Q(**{f"{key}__isnull": True}) | Q(**{f"{key}_not_done": ""}),
                name=f"{prefix}_{key}_value_or_reason",
                violation_error_code="value_and_not_done",
            )
        )
    for key, spec in TESTS_BY_KEY.items():
        constraints.append(
            models.CheckConstraint(
                condition=Q(**{f"{key}__isnull": True})
                | Q(**{f"{key}__gte": spec.minimum, f"{key}__lte": spec.maximum}),
                name=f"{prefix}_{key}_bounds",
                violation_error_code="out_of_bounds",
            )
        )
    return constraints


class Programme(CheckedModel):
    """R-B1: the programme the entry bilan defines (type, intensity, frequency, number of
    sessions or duration, place)."""

    programme_activity_types = models.JSONField(_("types d'activité"), default=list, blank=True)
    programme_intensity = models.CharField(
        _("intensité"), max_length=20, choices=Intensity.choices, blank=True
    )
    programme_sessions_per_week = models.PositiveSmallIntegerField(
        _("séances par semaine"), null=True, blank=True
    )
    programme_session_minutes = models.PositiveSmallIntegerField(
        _("durée d'une séance (minutes)"), null=True, blank=True
    )
    programme_sessions_total = models.PositiveSmallIntegerField(
        _("nombre de séances"), null=True, blank=True
    )
    programme_weeks = models.PositiveSmallIntegerField(_("durée (semaines)"), null=True, blank=True)
    programme_place = models.CharField(_("lieu"), max_length=20, choices=Place.choices, blank=True)
    programme_notes = models.TextField(_("précisions sur le programme"), blank=True)

    class Meta:
        abstract = True

    @property
    def programme_activity_labels(self) -> list[str]:
        return labels(ActivityType, self.programme_activity_types)


class EntryBilan(Assessment, Programme):
    """R-B1: the entry bilan (physical condition, functional capacities, motivation) and the
    programme it defines."""

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bilan d'entrée")
        verbose_name_plural = _("bilans d'entrée")
        ordering = ["-performed_on", "-created_at"]
        constraints = [
            *assessment_constraints("entrybilan"),
            # R-B1: one entry bilan per prescription (the service says it first, in French).
            models.UniqueConstraint(
                fields=["prescription"],
                name="entrybilan_one_per_prescription",
                violation_error_code="entry_exists",
            ),
        ]
        indexes = [models.Index(fields=["patient", "performed_on"], name="entrybilan_patient_idx")]

    def __str__(self) -> str:
        return f"Bilan d'entrée du {self.performed_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("bilans:entry_detail", kwargs={"pk": self.pk})

    @property
    def pdf_url(self) -> str:
        return reverse("bilans:entry_pdf", kwargs={"pk": self.pk})

    kind_label = _("Bilan d'entrée")


class ExitBilan(Assessment):
    """R-B3: the comparative exit bilan, with the proposal: continue (type, frequency,
    intensity) or leave the programme, with where to."""

    entry = models.OneToOneField(
        EntryBilan,
        verbose_name=_("bilan d'entrée"),
        on_delete=models.PROTECT,
        related_name="exit_bilan",
    )
    proposal = models.CharField(
        _("proposition"), max_length=20, choices=Proposal.choices, blank=True
    )
    continue_activity_types = models.JSONField(_("types d'activité"), default=list, blank=True)
    continue_sessions_per_week = models.PositiveSmallIntegerField(
        _("séances par semaine"), null=True, blank=True
    )
    continue_intensity = models.CharField(
        _("intensité"), max_length=20, choices=Intensity.choices, blank=True
    )
    leave_to = models.CharField(_("orientation à la sortie (vers où)"), max_length=250, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bilan de sortie")
        verbose_name_plural = _("bilans de sortie")
        ordering = ["-performed_on", "-created_at"]
        constraints = assessment_constraints("exitbilan")

    def __str__(self) -> str:
        return f"Bilan de sortie du {self.performed_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("bilans:exit_detail", kwargs={"pk": self.pk})

    @property
    def pdf_url(self) -> str:
        return reverse("bilans:exit_pdf", kwargs={"pk": self.pk})

    kind_label = _("Bilan de sortie")

    @property
    def continue_activity_labels(self) -> list[str]:
        return labels(ActivityType, self.continue_activity_types)


class Tolerance(models.TextChoices):
    GOOD = "good", _("Bonne")
    FAIR = "fair", _("Moyenne")
    POOR = "poor", _("Mauvaise")


class ProgressReport(Document):
    """R-B2: a compte rendu on the programme and its effects, as often as the professional
    decides. Signed when recorded."""

    sessions_planned = models.PositiveSmallIntegerField(
        _("séances prévues sur la période"), null=True, blank=True
    )
    sessions_done = models.PositiveSmallIntegerField(_("séances réalisées"))
    tolerance = models.CharField(_("tolérance"), max_length=10, choices=Tolerance.choices)
    progress = models.TextField(_("progrès sur les objectifs"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("compte rendu")
        verbose_name_plural = _("comptes rendus")
        ordering = ["-performed_on", "-created_at"]
        constraints = [
            _risk_check("progressreport"),
            models.CheckConstraint(
                condition=Q(sessions_planned__isnull=True)
                | Q(sessions_done__lte=models.F("sessions_planned")),
                name="progressreport_done_at_most_planned",
                violation_error_code="sessions_above_planned",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "performed_on"], name="progressreport_patient_idx")
        ]

    def __str__(self) -> str:
        return f"Compte rendu du {self.performed_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("bilans:report_detail", kwargs={"pk": self.pk})

    @property
    def pdf_url(self) -> str:
        return reverse("bilans:report_pdf", kwargs={"pk": self.pk})

    kind_label = _("Compte rendu")
    is_signed = True

    @property
    def attendance_percent(self) -> int | None:
        if not self.sessions_planned:
            return None
        return round(self.sessions_done * 100 / self.sessions_planned)


class IssuedDocument(CheckedModel):
    """R-B4: a signed bilan or compte rendu as it is handed out, with the machinery of the
    prescription form: a reference and a verification code given at signature (printed on the
    PDF, checked on the public page `/verifier/`), and the PDF stored once (its bytes never
    change: a repeated download serves them again, their SHA-256 checked).

    Exactly one of `entry`, `exit`, `report` is set. Never deleted, never edited but to store
    the PDF once (`pdf` from empty to its bytes, nothing after).
    """

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Bilan d'entrée")
        EXIT = "exit", _("Bilan de sortie")
        REPORT = "report", _("Compte rendu")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type de document"), max_length=10, choices=Kind.choices)
    entry = models.OneToOneField(
        EntryBilan,
        verbose_name=_("bilan d'entrée"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    exit = models.OneToOneField(
        ExitBilan,
        verbose_name=_("bilan de sortie"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    report = models.OneToOneField(
        ProgressReport,
        verbose_name=_("compte rendu"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("référence"), max_length=20, unique=True, editable=False)
    verification_code = models.CharField(_("code de vérification"), max_length=6, editable=False)
    performed_on = models.DateField(_("date du document"))
    signed_at = models.DateTimeField(_("signé le"))
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256 du PDF"), max_length=64, blank=True, editable=False)
    size = models.PositiveIntegerField(_("taille (octets)"), null=True, blank=True)
    rendered_at = models.DateTimeField(_("PDF produit le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("document émis")
        verbose_name_plural = _("documents émis")
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="entry", entry__isnull=False, exit__isnull=True, report__isnull=True)
                    | Q(kind="exit", entry__isnull=True, exit__isnull=False, report__isnull=True)
                    | Q(kind="report", entry__isnull=True, exit__isnull=True, report__isnull=False)
                ),
                name="issueddocument_one_document",
                violation_error_code="issued_one_document",
            ),
            models.CheckConstraint(
                condition=Q(pdf__isnull=True, sha256="")
                | Q(pdf__isnull=False, size__isnull=False) & ~Q(sha256=""),
                name="issueddocument_pdf_with_its_digest",
                violation_error_code="issued_pdf_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def document(self) -> "EntryBilan | ExitBilan | ProgressReport":
        document = self.entry or self.exit or self.report
        assert document is not None
        return document
