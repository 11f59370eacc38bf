from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """The read audit is append-only: a record is never changed nor deleted."""


class ReadAuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The read audit is append-only.")

    def delete(self):
        raise AppendOnlyError("The read audit is append-only.")


class ReadAudit(models.Model):
    """Who viewed which patient page, prescription page, PDF, export or list of patients, when
    and from where (in the application and in the admin alike).

    The records read are named by their ids, not by foreign keys: the audit sits below the apps
    whose records it traces, and outlives them. `structure` is the structure that held the
    record when it was read (the reader's for an export): its administrators see the entry.
    """

    class Action(models.TextChoices):
        PATIENT_VIEW = "patient_view", _("Consultation du dossier patient")
        PRESCRIPTION_VIEW = "prescription_view", _("Consultation d'une prescription")
        PRESCRIPTION_PDF = "prescription_pdf", _("Téléchargement du PDF")
        PRESCRIPTION_LOOKUP = "prescription_lookup", _("Accès par la référence (kinésithérapeute)")
        EXPORT = "export", _("Export")
        PATIENT_LIST = "patient_list", _("Liste ou recherche de patients")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.PROTECT,
        related_name="read_audits",
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    patient_id = models.UUIDField(_("patient"), null=True, blank=True)
    prescription_id = models.UUIDField(_("prescription"), null=True, blank=True)
    structure = models.ForeignKey(
        "practitioners.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    detail = models.CharField(_("détail"), max_length=250, blank=True)
    # A list or search results page (PATIENT_LIST): the ids of the patients shown, separated by
    # spaces, one entry per page shown (not one per row).
    patient_ids = models.TextField(_("patients affichés"), blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=250, blank=True)
    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)

    objects = ReadAuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("journal des consultations")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["patient_id", "-at"], name="audit_reada_patient_2aba5a_idx"),
            models.Index(fields=["user", "-at"]),
            models.Index(fields=["structure", "-at"], name="audit_structure_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_action_display()} · {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The read audit is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The read audit is append-only.")


def refuse_history_change(sender, instance, raw=False, **kwargs) -> None:
    """pre_save of a historical model: a new historical row, yes; a change of one, never."""
    if not raw and not instance._state.adding:
        raise AppendOnlyError("The history of a record is append-only.")


def refuse_history_delete(sender, instance, **kwargs) -> None:
    """pre_delete of a historical model (also fired by QuerySet.delete())."""
    raise AppendOnlyError("The history of a record is append-only.")
