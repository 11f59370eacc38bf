from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kernel.models import CheckedModel


class Notification(CheckedModel):
    """An in-app message to one user (R-R7: the prescriber informed of a renewal).

    It lives behind the login: the e-mail that announces it carries no health data.
    """

    class Kind(models.TextChoices):
        PRESCRIPTION_RENEWED = "prescription_renewed", _("Prescription renouvelée")
        PRESCRIPTION_ADAPTED = "prescription_adapted", _("Prescription adaptée")
        # R-B4: a bilan or compte rendu sent with the patient's agreement.
        DOCUMENT_SHARED = "document_shared", _("Bilan ou compte rendu transmis")
        # Group programmes (programmes.events).
        PROGRAMME_REFERRAL = "programme_referral", _("Orientation vers votre programme")
        PROGRAMME_DECISION = "programme_decision", _("Réponse à une orientation vers un programme")
        PROGRAMME_SEAT = (
            "programme_seat",
            _("Place libérée : patient inscrit depuis la liste d'attente"),
        )
        PROGRAMME_DROPOUT = "programme_dropout", _("Absences répétées à un programme")
        # The follow-ups recorded before they became comptes rendus (DOCUMENT_SHARED since):
        # kept for their notifications, none is created any more.
        PROGRAMME_FOLLOW_UP = "programme_follow_up", _("Consultation de suivi transmise")
        # The post-cancer pathway (pathway.events).
        PATHWAY_PRESCRIBED = (
            "pathway_prescribed",
            _("Parcours de soins après un cancer prescrit à votre structure"),
        )
        PATHWAY_BOOKED = (
            "pathway_booked",
            _("Bilan ou consultation du parcours après un cancer prévu avec vous"),
        )

    class DocumentKind(models.TextChoices):
        ENTRY = "entry", _("Bilan d'entrée")
        REPORT = "report", _("Compte rendu")
        EXIT = "exit", _("Bilan de sortie")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    # What it is about: an APA prescription, or a post-cancer pathway (one of the two).
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    pathway = models.ForeignKey(
        "pathway.PathwayPrescription",
        verbose_name=_("parcours après un cancer"),
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    renewal = models.ForeignKey(
        "prescriptions.Renewal",
        verbose_name=_("renouvellement ou adaptation"),
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    # R-B4: the bilan or compte rendu sent (bilans app), by its kind and opaque id.
    document_kind = models.CharField(
        _("document"), max_length=10, choices=DocumentKind.choices, blank=True
    )
    document_id = models.UUIDField(_("identifiant du document"), null=True, blank=True)
    # Group programmes: the offer concerned (its page, for the offer's side).
    offer_id = models.UUIDField(_("identifiant du programme"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(prescription__isnull=False) | Q(pathway__isnull=False),
                name="notification_has_a_subject",
                violation_error_code="notification_without_subject",
            ),
            # One notification per renewal and recipient, whatever calls the service twice.
            models.UniqueConstraint(
                fields=["recipient", "renewal"],
                condition=Q(renewal__isnull=False),
                name="notification_unique_per_renewal",
                violation_error_code="notification_unique_per_renewal",
            ),
            models.UniqueConstraint(
                fields=["recipient", "document_id"],
                condition=Q(document_id__isnull=False),
                name="notification_unique_per_document",
                violation_error_code="notification_unique_per_document",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:open", kwargs={"pk": self.pk})

    @property
    def named_patient_id(self):
        """The patient the notification names (its pathway's or its prescription's), or None."""
        if self.pathway_id:
            return self.pathway.patient_id
        return self.prescription.patient_id if self.prescription_id else None

    @property
    def is_programme(self) -> bool:
        return self.kind.startswith("programme_")

    @property
    def is_pathway(self) -> bool:
        return self.kind.startswith("pathway_")

    @property
    def document_url(self) -> str:
        if not self.document_id:
            return ""
        return reverse(f"bilans:{self.document_kind}_detail", kwargs={"pk": self.document_id})
