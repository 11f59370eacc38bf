from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app message to one user (R-R7: the prescriber informed of a renewal).

    It lives behind the login: the e-mail that announces it carries no health data.
    """

    class Kind(models.TextChoices):
        PRESCRIPTION_RENEWED = "prescription_renewed", _("Prescription renouvelée")
        PRESCRIPTION_ADAPTED = "prescription_adapted", _("Prescription adaptée")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    renewal = models.ForeignKey(
        "prescriptions.Renewal",
        verbose_name=_("renouvellement ou adaptation"),
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            # One notification per renewal and recipient, whatever calls the service twice.
            models.UniqueConstraint(
                fields=["recipient", "renewal"],
                condition=Q(renewal__isnull=False),
                name="notification_unique_per_renewal",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:open", kwargs={"pk": self.pk})

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
