"""Group programmes (seed 000, CAMI Sport & Cancer) and the directory of offers (R-G1..R-G4,
R-O1): an offer a structure publishes, its weekly créneaux and dated sessions, the referrals
(orientations to an offer), the enrolments with their waiting list, the roll calls and the
3-monthly follow-ups. Every change is kept (django-simple-history); nothing is deleted."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kernel.models import CheckedModel

from . import rules


class Offer(CheckedModel):
    """A programme a structure publishes (Maison Sport-Santé, club, hospital pole)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    structure = models.ForeignKey(
        "practitioners.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="offers",
    )
    title = models.CharField(_("intitulé"), max_length=200)
    activity = models.CharField(_("activité"), max_length=200)
    situations = models.ManyToManyField(
        "patients.EligibilitySituation",
        verbose_name=_("pathologies et situations"),
        related_name="offers",
        blank=True,
        help_text=_("Aucune : le programme accueille toutes les situations."),
    )
    # R-O1: the limitation levels the offer accepts (one column each: the directory filters on
    # them at the region's scale).
    accepts_none = models.BooleanField(_("limitation aucune"), default=False)
    accepts_minimal = models.BooleanField(_("limitation minimale"), default=False)
    accepts_moderate = models.BooleanField(_("limitation modérée"), default=False)
    accepts_severe = models.BooleanField(_("limitation sévère"), default=False)
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("intervenants"),
        related_name="supervised_offers",
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinateur"),
        on_delete=models.PROTECT,
        related_name="coordinated_offers",
        null=True,
        blank=True,
    )
    place = models.CharField(_("lieu"), max_length=250)
    postal_code = models.CharField(_("code postal"), max_length=5)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    capacity = models.PositiveSmallIntegerField(
        _("places par séance"), default=rules.DEFAULT_CAPACITY
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[situations, supervisors])

    class Meta:
        verbose_name = _("offre de programme")
        verbose_name_plural = _("offres de programmes")
        ordering = ["start_date", "title"]
        constraints = [
            # R-G2: at most 8 patients per collective session, never fewer than 1.
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=rules.MAX_CAPACITY),
                name="offer_capacity_1_to_8",
                violation_error_code="offer_capacity",
                violation_error_message=rules.MSG_CAPACITY,
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="offer_end_after_start",
                violation_error_code="offer_dates",
                violation_error_message=rules.MSG_DATES,
            ),
        ]
        indexes = [models.Index(fields=["end_date"], name="offer_end_idx")]

    def __str__(self) -> str:
        return f"{self.title} · {self.structure}"

    @property
    def accepted_levels(self) -> list[int]:
        return [level for level, name in rules.LEVEL_FIELDS.items() if getattr(self, name)]


class Slot(CheckedModel):
    """A weekly créneau of an offer (R-G3: two a week by default)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    offer = models.ForeignKey(
        Offer, verbose_name=_("offre"), on_delete=models.PROTECT, related_name="slots"
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("heure de début"))
    minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=60)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "weekday", "start_time"], name="slot_unique_per_offer"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6, minutes__gte=15, minutes__lte=240),
                name="slot_weekday_and_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}"


class Referral(CheckedModel):
    """A patient oriented to an offer from a prescription; both sides follow its status."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyée")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")
        ENDED = "ended", _("Terminée")

    OPEN_STATUSES = (Status.SENT, Status.ACCEPTED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    offer = models.ForeignKey(
        Offer, verbose_name=_("offre"), on_delete=models.PROTECT, related_name="referrals"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.SENT
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=500, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("orienté par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("orientation vers un programme")
        verbose_name_plural = _("orientations vers un programme")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "patient"],
                condition=Q(status__in=["sent", "accepted"]),
                name="referral_one_open_per_offer",
                violation_error_code="referral_already_open",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="referral_refusal_has_reason",
                violation_error_code="referral_reason_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} → {self.offer} ({self.get_status_display()})"


class Enrolment(CheckedModel):
    """A patient's seat in an offer, or their place on its waiting list."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Inscrit")
        WAITING = "waiting", _("En liste d'attente")
        ENDED = "ended", _("Sorti")

    ACTIVE_STATUSES = (Status.ENROLLED, Status.WAITING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    offer = models.ForeignKey(
        Offer, verbose_name=_("offre"), on_delete=models.PROTECT, related_name="enrolments"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("orientation"),
        on_delete=models.PROTECT,
        related_name="enrolments",
        null=True,
        blank=True,
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    # R-G1: the initial individual consultation sets the goals.
    goals = models.TextField(_("objectifs fixés lors de la consultation initiale"))
    starts_on = models.DateField(_("début du programme pour le patient"), null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inscrit par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    ended_at = models.DateTimeField(_("sorti le"), null=True, blank=True)
    end_reason = models.CharField(_("motif de sortie"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "patient"],
                condition=Q(status__in=["enrolled", "waiting"]),
                name="enrolment_one_active_per_offer",
                violation_error_code="enrolment_already",
            ),
            models.CheckConstraint(
                condition=~Q(goals=""), name="enrolment_goals_set", violation_error_code="goals"
            ),
        ]
        indexes = [models.Index(fields=["offer", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.patient} · {self.offer} ({self.get_status_display()})"


class Session(models.Model):
    """A dated session of an offer, generated from its créneaux (Europe/Paris)."""

    offer = models.ForeignKey(
        Offer, verbose_name=_("offre"), on_delete=models.PROTECT, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    holiday = models.CharField(_("jour férié"), max_length=40, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "starts_at"], name="session_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.offer.title} · {self.starts_at:%d/%m/%Y %H:%M}"


class Attendance(models.Model):
    """One patient at one session: present or absent (the roll call)."""

    session = models.ForeignKey(
        Session, verbose_name=_("séance"), on_delete=models.PROTECT, related_name="attendances"
    )
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("inscription"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    present = models.BooleanField(_("présent"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("noté par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("noté le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "enrolment"], name="attendance_unique_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.patient} · {self.session}"


class FollowUp(CheckedModel):
    """R-G4: a follow-up consultation, due every 3 months from the patient's start.

    Recorded as the dispensing side's compte rendu (`report`, R-B2: reference, verification
    code, PDF, sent with the patient's agreement, R-B4); `effects` and `adjusted_goals` keep
    what the consultation said (the compte rendu's progress quotes them), the follow-ups
    recorded before `report` existed keep theirs alone."""

    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("inscription"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    due_on = models.DateField(_("prévue le"))
    done_on = models.DateField(_("réalisée le"), null=True, blank=True)
    effects = models.TextField(_("effets physiques et psychologiques"), blank=True)
    adjusted_goals = models.TextField(_("objectifs ajustés"), blank=True)
    share_agreement = models.BooleanField(
        _("le patient accepte la transmission au prescripteur"), default=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    report = models.OneToOneField(
        "bilans.ProgressReport",
        verbose_name=_("compte rendu"),
        on_delete=models.PROTECT,
        related_name="programme_follow_up",
        null=True,
        blank=True,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consultation de suivi")
        verbose_name_plural = _("consultations de suivi")
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "due_on"], name="followup_unique_due"),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(adjusted_goals=""),
                name="followup_done_has_goals",
                violation_error_code="followup_goals",
            ),
        ]
        indexes = [models.Index(fields=["done_on", "due_on"])]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.due_on:%d/%m/%Y}"
