"""What the security app records: the events an administrator must be able to see (second
factor failures and lock-outs, login refusals beyond the per-address lock-out)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SecurityEvent(models.Model):
    """One security event of an account, kept for the administrators (read-only in the admin)."""

    class Kind(models.TextChoices):
        OTP_FAILURE = "otp_failure", _("Code de double authentification erroné")
        OTP_LOCKOUT = "otp_lockout", _("Double authentification bloquée")
        OTP_UNLOCK = "otp_unlock", _("Double authentification débloquée")
        LOGIN_ACCOUNT_LIMIT = (
            "login_account_limit",
            _("Connexion refusée : trop d'échecs pour ce compte"),
        )
        LOGIN_ADDRESS_LIMIT = (
            "login_address_limit",
            _("Connexion refusée : trop d'échecs depuis cette adresse"),
        )

    kind = models.CharField(_("événement"), max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
    )
    # The identifier typed at the login (the account may not exist): kept as typed, truncated.
    username = models.CharField(_("identifiant"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    detail = models.CharField(_("détail"), max_length=250, blank=True)
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("événement de sécurité")
        verbose_name_plural = _("événements de sécurité")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "kind", "-at"], name="security_event_user_kind")]

    def __str__(self) -> str:
        when = timezone.localtime(self.at)
        who = self.username or self.user_id
        return f"{self.get_kind_display()} · {who} · {when:%d/%m/%Y %H:%M}"
