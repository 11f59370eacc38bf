"""The post-cancer care pathway (CSP L.1415-8, R.1415-1-11; R-C1 to R-C4).

Built and changed only through `pathway.services`. Nothing is deleted: a booking that did not
happen is marked « non réalisé », and every change is kept in the history.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kernel.models import CheckedModel

from .rules import Kind


class Tariff(CheckedModel):
    """The prices and caps in force from a date, with their legal source (R-C2, R-C3).

    Data, not code: when the texts change, a new row with its date; a booking uses the row in
    force on its date. Seeded by migration with the arrêté du 24 décembre 2020's figures.
    """

    valid_from = models.DateField(_("en vigueur à partir du"), unique=True)
    bilan_price = models.DecimalField(
        _("tarif d'un bilan (1 heure, €)"), max_digits=7, decimal_places=2
    )
    consultation_price = models.DecimalField(
        _("tarif d'une consultation de suivi (30 minutes, €)"), max_digits=7, decimal_places=2
    )
    annual_cap = models.DecimalField(
        _("plafond par patient et par an (€)"), max_digits=7, decimal_places=2
    )
    max_bilans = models.PositiveSmallIntegerField(_("nombre maximal de bilans"))
    max_consultations = models.PositiveSmallIntegerField(_("nombre maximal de consultations"))
    legal_source = models.CharField(_("source juridique"), max_length=250)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tarif du parcours post-cancer")
        verbose_name_plural = _("tarifs du parcours post-cancer")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bilan_price__gt=0) & Q(consultation_price__gt=0) & Q(annual_cap__gt=0),
                name="pathway_tariff_positive",
                violation_error_code="tariff_positive",
                violation_error_message=_("Les tarifs et le plafond doivent être positifs."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from:%d/%m/%Y} — {self.legal_source}"


class Convention(CheckedModel):
    """A structure's convention with the ARS to deliver the pathway (R-C2): only a structure
    conventioned on the booking's date delivers."""

    structure = models.ForeignKey(
        "practitioners.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="pathway_conventions",
    )
    number = models.CharField(_("numéro de convention ARS"), max_length=50)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    # R-C2 export: some conventions require the patient's identity in the ARS statement.
    export_identity = models.BooleanField(
        _("la convention exige le nom et le NIR dans l'état trimestriel"), default=False
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("convention ARS (parcours post-cancer)")
        verbose_name_plural = _("conventions ARS (parcours post-cancer)")
        ordering = ["structure", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="pathway_convention_dates_ordered",
                violation_error_code="convention_dates",
                violation_error_message=_("La fin de la convention précède son début."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.structure} — {self.number}"


class CancerEpisode(models.Model):
    """The cancer a patient was treated for, entered by a physician of the care team (R-C1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="cancer_episodes",
    )
    localisation = models.CharField(_("localisation du cancer"), max_length=150)
    treatment_end = models.DateField(_("date de fin du traitement"))
    ald = models.BooleanField(_("le patient est en affection de longue durée (ALD)"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saisi par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("épisode de cancer")
        verbose_name_plural = _("épisodes de cancer")
        ordering = ["-treatment_end"]

    def __str__(self) -> str:
        return f"{self.localisation} (fin de traitement le {self.treatment_end:%d/%m/%Y})"


class PathwayPrescription(CheckedModel):
    """The prescription of the pathway (R-C1): by an oncologist, a paediatrician or the médecin
    traitant, within 12 months after the end of treatment, delivered by a conventioned
    structure. Its row is the lock every booking takes (R-C2, R-C3: no race past a cap)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.OneToOneField(
        CancerEpisode,
        verbose_name=_("épisode de cancer"),
        on_delete=models.PROTECT,
        related_name="pathway",
    )
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="pathway_prescriptions",
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prescripteur"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    structure = models.ForeignKey(
        "practitioners.Structure",
        verbose_name=_("structure conventionnée qui réalise le parcours"),
        on_delete=models.PROTECT,
        related_name="pathway_prescriptions",
    )
    prescribed_on = models.DateField(_("date de la prescription"))
    bilan_physical = models.BooleanField(_("bilan d'activité physique"), default=False)
    bilan_dietary = models.BooleanField(_("bilan diététique"), default=False)
    bilan_psychological = models.BooleanField(_("bilan psychologique"), default=False)
    reference = models.CharField(_("référence"), max_length=20, unique=True, editable=False)
    verification_code = models.CharField(_("code de vérification"), max_length=6, editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("prescription du parcours post-cancer")
        verbose_name_plural = _("prescriptions du parcours post-cancer")
        ordering = ["-prescribed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bilan_physical=True)
                | Q(bilan_dietary=True)
                | Q(bilan_psychological=True),
                name="pathway_prescription_has_a_bilan",
                violation_error_code="no_bilan",
                violation_error_message=_("Cochez au moins un bilan prescrit."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("pathway:detail", kwargs={"pk": self.pk})

    @property
    def prescribed_kinds(self) -> list[str]:
        kinds = [
            (self.bilan_physical, Kind.BILAN_PHYSICAL),
            (self.bilan_dietary, Kind.BILAN_DIETARY),
            (self.bilan_psychological, Kind.BILAN_PSYCHOLOGICAL),
        ]
        return [kind for prescribed, kind in kinds if prescribed]


class Booking(CheckedModel):
    """A bilan or a consultation of the pathway, booked for a date and a professional, then
    marked done or not done (R-C2, R-C3). Its amount is the tariff in force on its date."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        DONE = "done", _("Réalisé")
        NOT_DONE = "not_done", _("Non réalisé")

    # The statuses that count against the caps (a « non réalisé » frees its place).
    COUNTING = (Status.BOOKED, Status.DONE)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pathway = models.ForeignKey(
        PathwayPrescription,
        verbose_name=_("parcours"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    kind = models.CharField(_("prestation"), max_length=30, choices=Kind.choices)
    scheduled_on = models.DateField(_("date"))
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("professionnel"),
        on_delete=models.PROTECT,
        related_name="pathway_bookings",
    )
    amount = models.DecimalField(_("montant (€)"), max_digits=7, decimal_places=2)
    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tarif appliqué"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    # R-C4: the physical-activity bilan leads to a « projet d'activité physique adaptée ».
    apa_project = models.TextField(_("projet d'activité physique adaptée"), blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("réservé par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("réservé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("prestation du parcours post-cancer")
        verbose_name_plural = _("prestations du parcours post-cancer")
        ordering = ["scheduled_on", "created_at"]
        indexes = [models.Index(fields=["professional", "scheduled_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="pathway_booking_amount_positive"
            ),
            # R-C4: only the physical-activity bilan records the APA project.
            models.CheckConstraint(
                condition=Q(kind=Kind.BILAN_PHYSICAL) | Q(apa_project=""),
                name="pathway_apa_project_on_physical_bilan_only",
                violation_error_code="apa_project_kind",
                violation_error_message=_(
                    "Seul le bilan d'activité physique porte le projet d'activité physique adaptée."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.scheduled_on:%d/%m/%Y}"

    @property
    def counts(self) -> bool:
        return self.status in self.COUNTING


class PathwayPdf(models.Model):
    """The PDF of a pathway prescription as it was handed out: rendered once (right after the
    prescription, by the background task, or at its first download), then served from here,
    its SHA-256 checked, so that every copy of the signed document is the same file (the seal's
    date included), even after a patient's or a prescriber's details change. Never edited,
    never deleted."""

    pathway = models.OneToOneField(
        PathwayPrescription,
        verbose_name=_("prescription du parcours"),
        on_delete=models.PROTECT,
        related_name="stored_pdf",
    )
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256 du PDF"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("produit le"), auto_now_add=True)

    class Meta:
        verbose_name = _("PDF d'une prescription du parcours")
        verbose_name_plural = _("PDF des prescriptions du parcours")

    def __str__(self) -> str:
        return f"{self.pathway_id} : {self.sha256[:12]}"
