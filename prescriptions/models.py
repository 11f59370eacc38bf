import copy
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kernel import wording
from kernel.models import CheckedModel
from practitioners.models import DISPENSER_PROFESSIONS, HEALTH_PROFESSIONS, Profession

from . import rules
from .rules import (
    DURATION_MAX_MONTHS,
    DURATION_MIN_MONTHS,
    MSG_DURATION,
    MSG_NO_AGREEMENT,
    MSG_OUI_WITHOUT_REASON,
    MSG_RENEW_NO_AGREEMENT,
    MSG_RENEW_NO_ATTESTATION,
    MSG_SESSION_MINUTES,
    MSG_SESSIONS_PER_WEEK,
    MSG_SEVERE_HEALTH_ONLY,
    SESSION_MINUTES_MAX,
    SESSION_MINUTES_MIN,
    SESSIONS_PER_WEEK_MAX,
    SESSIONS_PER_WEEK_MIN,
    Intensity,
    LimitationLevel,
)


def _snapshot(value):
    """A copy of a loaded value that later changes cannot reach: the JSON lists
    (activity_types, ...) could be changed in place; other values are immutable."""
    return copy.deepcopy(value) if isinstance(value, list | dict) else value


class ImmutablePrescriptionError(Exception):
    """R-P4: an attempt to change the content of a prescription that is no longer a draft."""


def _duration_check(name: str, field: str = "duration_months") -> models.CheckConstraint:
    # R-P2 (CSP D.1172-2): 3 to 6 whole months, also in the database.
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": DURATION_MIN_MONTHS, f"{field}__lte": DURATION_MAX_MONTHS}),
        name=name,
        violation_error_code="duration",
        violation_error_message=MSG_DURATION,
    )


class Recommendations(CheckedModel):
    """R-P3: the structured recommendations, shared by the prescription and the adaptation."""

    activity_types = models.JSONField(_("types d'activité"), default=list, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("séances par semaine"), null=True, blank=True
    )
    intensity = models.CharField(
        _("intensité"), max_length=20, choices=Intensity.choices, blank=True
    )
    session_minutes = models.PositiveSmallIntegerField(
        _("durée d'une séance (minutes)"), null=True, blank=True
    )
    recommendations_text = models.TextField(_("préconisations (texte libre)"), blank=True)

    class Meta:
        abstract = True

    @property
    def activity_type_labels(self) -> list[str]:
        return rules.labels(rules.ActivityType, self.activity_types)

    def recommendations_summary(self) -> str:
        """One French sentence of the structured recommendations, as printed on the form."""
        parts = []
        if self.activity_types:
            parts.append(", ".join(self.activity_type_labels))
        if self.sessions_per_week:
            parts.append(wording.sessions_per_week(self.sessions_per_week))
        if self.session_minutes:
            parts.append(_("%(n)s minutes par séance") % {"n": self.session_minutes})
        if self.intensity:
            label = str(self.get_intensity_display())
            # "intensité modérée (Borg 12 à 13)": lower-case the level only, not "Borg".
            parts.append(_("intensité %(i)s") % {"i": label[:1].lower() + label[1:]})
        return " ; ".join(str(p) for p in parts)


def recommendations_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(sessions_per_week__isnull=True)
            | Q(
                sessions_per_week__gte=SESSIONS_PER_WEEK_MIN,
                sessions_per_week__lte=SESSIONS_PER_WEEK_MAX,
            ),
            name=f"{prefix}_sessions_per_week_range",
            violation_error_code="sessions_per_week_range",
            violation_error_message=MSG_SESSIONS_PER_WEEK,
        ),
        models.CheckConstraint(
            condition=Q(session_minutes__isnull=True)
            | Q(session_minutes__gte=SESSION_MINUTES_MIN, session_minutes__lte=SESSION_MINUTES_MAX),
            name=f"{prefix}_session_minutes_range",
            violation_error_code="session_minutes_range",
            violation_error_message=MSG_SESSION_MINUTES,
        ),
    ]


class Prescription(Recommendations):
    """A medical prescription of adapted physical activity (CSP D.1172-2).

    Built and changed only through `prescriptions.services`. Once issued, its content is
    frozen (R-P4): `save()` refuses a change of any field of `CONTENT_FIELDS`.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émise")
        RENEWED = "renewed", _("Renouvelée")
        ADAPTED = "adapted", _("Adaptée")
        EXPIRED = "expired", _("Échue")
        CANCELLED = "cancelled", _("Annulée")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("référence"), max_length=20, unique=True, editable=False)
    verification_code = models.CharField(_("code de vérification"), max_length=6, editable=False)
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prescripteur"),
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    prescribed_on = models.DateField(_("date de la prescription"))
    start_date = models.DateField(_("début"))
    duration_months = models.PositiveSmallIntegerField(
        _("durée (mois)"), choices=rules.DURATION_CHOICES
    )
    # Derived from start_date and duration_months by save(); stored so that it can be queried.
    end_date = models.DateField(_("fin"), editable=False)
    # Copies kept for the reads of a regional network (bench/RESULTS.md: no list or count joins the
    # patients, nor the renewals, to scope or sort prescriptions; bench/RESULTS.md):
    # - the structure whose care team follows the patient: always the patient's (set by save(),
    #   moved with the patient by patients.services.patient_prescriptions_follow_structure);
    # - the end counting the physiotherapist's renewal or adaptation (R-R3, R-R6): the end date
    #   until then (save()), the renewal's from then on (services.prescription_renew).
    structure = models.ForeignKey(
        "practitioners.Structure",
        verbose_name=_("structure du patient"),
        on_delete=models.PROTECT,
        related_name="prescriptions",
        editable=False,
        db_index=False,  # prescription_structure_new_idx leads with it
    )
    current_end_date = models.DateField(_("fin (renouvellement compris)"), editable=False)
    restriction_picks = models.JSONField(
        _("restrictions (choix rapides)"), default=list, blank=True
    )
    restrictions_text = models.TextField(
        _("restrictions et/ou limitations fonctionnelles à prendre en compte"), blank=True
    )
    physician_renewal_required = models.BooleanField(
        _("renouvellement et adaptation par un médecin nécessaires"),
        default=False,
        help_text=_(
            "« Le patient présente-t-il une indication qui nécessite le renouvellement et "
            "l'adaptation de la prescription par un médecin ? »"
        ),
    )
    physician_renewal_reason = models.CharField(_("si oui, laquelle"), max_length=500, blank=True)
    patient_agreement = models.BooleanField(_("accord du patient"), default=False)
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True, editable=False)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    # Issued and running: what the physiotherapist renews and the structure's lists follow.
    RUNNING_STATUSES = (Status.ISSUED, Status.RENEWED, Status.ADAPTED)
    # Signed and not withdrawn: the one definition of "signed" (`is_signed`).
    SIGNED_STATUSES = (*RUNNING_STATUSES, Status.EXPIRED)

    # The two copies above are not history: the patient's and the renewal's histories hold them.
    history = HistoricalRecords(excluded_fields=["structure", "current_end_date"])

    # R-P4: what the physician signed. Never changed once the prescription is issued.
    CONTENT_FIELDS = (
        "patient_id",
        "prescriber_id",
        "prescribed_on",
        "start_date",
        "duration_months",
        "end_date",
        "activity_types",
        "sessions_per_week",
        "intensity",
        "session_minutes",
        "recommendations_text",
        "restriction_picks",
        "restrictions_text",
        "physician_renewal_required",
        "physician_renewal_reason",
        "patient_agreement",
        "reference",
        "verification_code",
        "issued_at",
    )

    _SNAPSHOT_FIELDS = ("status", *CONTENT_FIELDS)

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        ordering = ["-prescribed_on", "-created_at"]
        constraints = [
            _duration_check("prescription_duration_3_to_6_months"),
            *recommendations_constraints("prescription"),
            # R-P3: when the physician answers OUI, the indication must be given.
            models.CheckConstraint(
                condition=Q(physician_renewal_required=False) | ~Q(physician_renewal_reason=""),
                name="prescription_oui_has_reason",
                violation_error_code="oui_without_reason",
                violation_error_message=MSG_OUI_WITHOUT_REASON,
            ),
            # R-P1: no prescription leaves the draft state without the patient's agreement.
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="cancelled") | Q(patient_agreement=True),
                name="prescription_issued_has_agreement",
                violation_error_code="no_agreement",
                violation_error_message=MSG_NO_AGREEMENT,
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "cancelled"]) | Q(issued_at__isnull=False),
                name="prescription_issued_has_issued_at",
                violation_error_code="prescription_issued_has_issued_at",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="prescription_end_after_start",
                violation_error_code="prescription_end_after_start",
            ),
            # Only a renewal or an adaptation (R-R6) moves the current end away from the end.
            models.CheckConstraint(
                condition=Q(status__in=["renewed", "adapted", "expired"])
                | Q(current_end_date=F("end_date")),
                name="prescription_current_end_is_end_until_renewed",
                violation_error_code="prescription_current_end_is_end_until_renewed",
            ),
        ]
        indexes = [
            # The expiry job (services.prescriptions_expire).
            models.Index(fields=["status", "current_end_date"], name="prescription_status_end_idx"),
            # A structure's running prescriptions by their current end: the dashboard's and the
            # admin's "ending soon" (a few thousand index entries instead of the structure's
            # 56,000 prescriptions joined to their patients and renewals; bench/RESULTS.md).
            models.Index(
                fields=["structure", "current_end_date"],
                condition=Q(status__in=["issued", "renewed", "adapted"]),
                name="prescription_running_end_idx",
            ),
            # A structure's prescriptions, newest first (lists, admin of a structure).
            models.Index(
                fields=["structure", "-prescribed_on", "-created_at"],
                name="prescription_structure_new_idx",
            ),
            models.Index(fields=["prescriber", "-prescribed_on"]),
            models.Index(fields=["patient", "-prescribed_on"]),
            # The default ordering: the newest first in the admin and the lists, without
            # sorting 300,000 rows on disk for one page (bench/RESULTS.md).
            models.Index(fields=["-prescribed_on", "-created_at"], name="prescription_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded", None)
        if loaded and loaded.get("status", self.Status.DRAFT) != self.Status.DRAFT:
            changed = [
                name
                for name in self.CONTENT_FIELDS
                if name in loaded and loaded[name] != getattr(self, name)
            ]
            if changed:
                raise ImmutablePrescriptionError(
                    f"Prescription {self.reference} is {loaded['status']}: "
                    f"refusing to change {', '.join(changed)} (R-P4)."
                )
        if self.start_date and self.duration_months:
            self.end_date = rules.period_end(self.start_date, self.duration_months)
        # The copies kept for the reads at scale (see the fields): derived here, never typed.
        if self.status == self.Status.DRAFT or self.current_end_date is None:
            self.current_end_date = self.end_date
        if self.structure_id is None and self.patient_id is not None:
            self.structure_id = self.patient.structure_id
        super().save(*args, **kwargs)
        self._loaded = {name: _snapshot(getattr(self, name)) for name in self._SNAPSHOT_FIELDS}

    def get_absolute_url(self) -> str:
        return reverse("prescriptions:detail", kwargs={"pk": self.pk})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember what was loaded, so that save() can refuse a change of a signed content.
        # Every row of every list comes through here: only the JSON lists are copied.
        loaded = dict(zip(field_names, values, strict=True))
        instance._loaded = {
            name: _snapshot(loaded[name]) for name in cls._SNAPSHOT_FIELDS if name in loaded
        }
        return instance

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_signed(self) -> bool:
        """Signed and not withdrawn (`SIGNED_STATUSES`): it has the official form, it can be
        looked up, its assessment holds the patient's level (R-L2)."""
        return self.status in self.SIGNED_STATUSES

    @property
    def restriction_pick_labels(self) -> list[str]:
        return rules.labels(rules.RestrictionPick, self.restriction_picks)


class LimitationAssessment(CheckedModel):
    """R-L1 to R-L3: the functional-limitation assessment of a prescription.

    The resulting level (R-L2) is computed, never stored; only the level the physician
    confirms is stored.
    """

    prescription = models.OneToOneField(
        Prescription,
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="assessment",
    )
    locomotor = models.PositiveSmallIntegerField(
        _("fonctions locomotrices"), choices=LimitationLevel.choices
    )
    cerebral = models.PositiveSmallIntegerField(
        _("fonctions cérébrales"), choices=LimitationLevel.choices
    )
    sensory = models.PositiveSmallIntegerField(
        _("fonctions sensorielles et douleur"), choices=LimitationLevel.choices
    )
    severe_indicators = models.JSONField(
        _("indicateurs de limitation sévère"), default=list, blank=True
    )
    confirmed_level = models.PositiveSmallIntegerField(
        _("limitation fonctionnelle retenue par le médecin"), choices=LimitationLevel.choices
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("évaluation des limitations fonctionnelles")
        verbose_name_plural = _("évaluations des limitations fonctionnelles")
        constraints = [
            models.CheckConstraint(
                condition=Q(locomotor__lte=3)
                & Q(cerebral__lte=3)
                & Q(sensory__lte=3)
                & Q(confirmed_level__lte=3),
                name="assessment_levels_in_range",
                violation_error_code="assessment_levels_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prescription} : {self.get_confirmed_level_display()}"

    @property
    def computed_level(self) -> int:
        """R-L2: the most severe of the three ratings."""
        return rules.resulting_level(self.locomotor, self.cerebral, self.sensory)

    @property
    def computed_level_label(self) -> str:
        return str(LimitationLevel(self.computed_level).label)

    @property
    def severe_indicator_labels(self) -> list[str]:
        ticked = set(self.severe_indicators)
        return [i.label for i in rules.SEVERE_INDICATORS if i.code in ticked]


class SupervisionRule(CheckedModel):
    """Which professions may supervise which limitation level (R-L4, R-L5).

    Editable data seeded with the defaults of rules.DEFAULT_SUPERVISION. R-L4 is binding: the
    database refuses a row that lets a non-health professional supervise a severe limitation.
    """

    level = models.PositiveSmallIntegerField(_("limitation"), choices=LimitationLevel.choices)
    profession = models.CharField(
        _("profession"),
        max_length=30,
        choices=[(p.value, p.label) for p in Profession if p in DISPENSER_PROFESSIONS],
    )
    note = models.CharField(_("remarque"), max_length=250, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("règle d'encadrement")
        verbose_name_plural = _("qui peut encadrer quelle limitation")
        ordering = ["-level", "profession"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "profession"],
                name="supervision_unique",
                violation_error_code="supervision_unique",
            ),
            # R-L4 (binding, CSP D.1172-3): severe -> health professionals only.
            models.CheckConstraint(
                condition=~Q(level=LimitationLevel.SEVERE)
                | Q(profession__in=sorted(HEALTH_PROFESSIONS)),
                name="supervision_severe_health_professionals_only",
                violation_error_code="severe_health_professionals_only",
                violation_error_message=MSG_SEVERE_HEALTH_ONLY,
            ),
            models.CheckConstraint(
                condition=Q(profession__in=sorted(DISPENSER_PROFESSIONS)),
                name="supervision_dispensers_only",
                violation_error_code="supervision_dispensers_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} : {self.get_profession_display()}"


class RiskBasis(models.TextChoices):
    """R-R5: which case applied when the renewal was recorded."""

    ATTESTED = (
        "attested",
        _(
            "Attestation du masseur-kinésithérapeute (aucun bilan ni compte rendu enregistré "
            "dans le portail)"
        ),
    )
    RECORDED_NO_RISK = (
        "recorded_no_risk",
        _(
            "Les bilans et comptes rendus enregistrés dans le portail ne rapportent ni "
            "difficulté ni risque (attestation préremplie)"
        ),
    )


class Renewal(Recommendations):
    """The one renewal or adaptation by a physiotherapist (CSP D.1172-2-1, R-R1 to R-R6).

    R-R2: at most one per initial prescription, guaranteed by the one-to-one key.
    """

    class Kind(models.TextChoices):
        RENEWAL = "renewal", _("Renouvellement")
        ADAPTATION = "adaptation", _("Adaptation")

    prescription = models.OneToOneField(
        Prescription,
        verbose_name=_("prescription initiale"),
        on_delete=models.PROTECT,
        related_name="renewal",
    )
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    physiotherapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("masseur-kinésithérapeute"),
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    # R-R6 a): the identity as written on the form, kept as it was on that day.
    physio_last_name = models.CharField(_("nom"), max_length=150)
    physio_first_name = models.CharField(_("prénom"), max_length=150)
    physio_rpps = models.CharField(_("numéro RPPS"), max_length=11)
    performed_on = models.DateField(_("date"))
    duration_months = models.PositiveSmallIntegerField(
        _("durée (mois)"), choices=rules.DURATION_CHOICES
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    patient_agreement = models.BooleanField(_("accord du patient"))
    no_risk_attestation = models.BooleanField(
        _("absence de difficulté ou de risque attestée"),
        help_text=_(
            "Le compte rendu et les bilans (art. D. 1172-5) ne rapportent pas de difficulté ou "
            "de risque dans la pratique de l'APA susceptible de nuire à la santé du patient."
        ),
    )
    # R-R5: what the absence of difficulty or risk rests on.
    risk_basis = models.CharField(
        _("absence de difficulté ou de risque établie par"),
        max_length=20,
        choices=RiskBasis.choices,
        default=RiskBasis.ATTESTED,
    )
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    prescriber_read_at = models.DateTimeField(_("lu par le prescripteur le"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("renouvellement ou adaptation")
        verbose_name_plural = _("renouvellements et adaptations")
        ordering = ["-performed_on"]
        constraints = [
            _duration_check("renewal_duration_3_to_6_months"),
            *recommendations_constraints("renewal"),
            # R-R1: with the patient's agreement. R-R5: no difficulty or risk reported.
            models.CheckConstraint(
                condition=Q(patient_agreement=True),
                name="renewal_has_patient_agreement",
                violation_error_code="renew_no_agreement",
                violation_error_message=MSG_RENEW_NO_AGREEMENT,
            ),
            models.CheckConstraint(
                condition=Q(no_risk_attestation=True),
                name="renewal_has_no_risk_attestation",
                violation_error_code="renew_no_attestation",
                violation_error_message=MSG_RENEW_NO_ATTESTATION,
            ),
            # R-R6 a): full identification with the RPPS number.
            models.CheckConstraint(
                condition=Q(physio_rpps__regex=r"^[0-9]{11}$"),
                name="renewal_physio_rpps_11_digits",
                violation_error_code="renewal_physio_rpps_11_digits",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="renewal_end_after_start",
                violation_error_code="renewal_end_after_start",
            ),
        ]
        indexes = [
            # The renewals not read yet (R-R7), newest first: the dashboard's list walks this
            # small index instead of sorting every renewal (bench/RESULTS.md).
            models.Index(
                fields=["-performed_on", "-created_at"],
                condition=Q(prescriber_read_at__isnull=True),
                name="renewal_unread_newest_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} de {self.prescription}"

    def get_absolute_url(self) -> str:
        return self.prescription.get_absolute_url()

    @property
    def physio_display_name(self) -> str:
        return f"{self.physio_first_name} {self.physio_last_name.upper()}"


class PrescriptionAccess(models.Model):
    """A physiotherapist's access to the one prescription they looked up (need-to-know).

    Proving the printed reference and the patient's birth date (R-R1, R-R6: the physiotherapist
    renews from the form the patient brings) opens this prescription, and the patient's identity
    through a look-up membership of the care team (`patients.CareTeamGrant`), not the patient's
    other prescriptions. Never deleted: revoking sets `revoked_at`.
    """

    prescription = models.ForeignKey(
        Prescription,
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="accesses",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("professionnel"),
        on_delete=models.PROTECT,
        related_name="prescription_accesses",
    )
    granted_at = models.DateTimeField(_("accordé le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("accès à une prescription")
        verbose_name_plural = _("accès aux prescriptions (recherche par la référence)")
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "user"],
                name="prescriptionaccess_unique",
                violation_error_code="prescriptionaccess_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.prescription}"


class RenderedPdf(models.Model):
    """A PDF of the official form as it was handed out (R-P4: an issued prescription is immutable).

    Kept so that a repeated download is served without rendering again, and never deleted: each
    version is a trace of what was printed. `content_key` digests everything printed on the form
    (the signed content, the physiotherapist's part, the template version): a new key means a new
    rendering, next to the older ones.
    """

    prescription = models.ForeignKey(
        Prescription,
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="rendered_pdfs",
    )
    content_key = models.CharField(_("empreinte du contenu"), max_length=64)
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256 du PDF"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("produit le"), auto_now_add=True)

    class Meta:
        verbose_name = _("PDF produit")
        verbose_name_plural = _("PDF produits")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "content_key"],
                name="renderedpdf_unique_content",
                violation_error_code="renderedpdf_unique_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prescription_id} : {self.sha256[:12]}"
