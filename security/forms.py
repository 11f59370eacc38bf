from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin

from .tasks import send_password_reset_email


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    """The login form, rendered by crispy with the error summary of every form."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Identifiant")


class TokenForm(BootstrapFormMixin, forms.Form):
    token = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=12,
        help_text=_(
            "Affiché par votre application d'authentification (il change toutes les 30 s)."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class PasswordChangeForm(BootstrapFormMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(BootstrapFormMixin, auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Adresse électronique")

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None) -> None:  # fmt: skip
        """Queued (security.tasks): the request takes the same time, account or not."""
        send_password_reset_email.enqueue(context["user"].pk, to_email)


class SetPasswordForm(BootstrapFormMixin, auth_forms.SetPasswordForm):
    pass
