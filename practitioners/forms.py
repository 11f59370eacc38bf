"""Forms of practitioner accounts (admin).

R-ID1: an RPPS number is exactly 11 digits (a hard error); a failed Luhn check is only a
warning, which the admin confirms by ticking « Je confirme ce numéro RPPS ».
"""

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import User
from .rules import MSG_RPPS_FORMAT, luhn_is_valid, rpps_format_is_valid

MSG_RPPS_LUHN = _(
    "Attention : ce numéro RPPS ne passe pas le contrôle de la clé (algorithme de Luhn). "
    "Vérifiez-le. S'il est exact, cochez « Je confirme ce numéro RPPS » puis enregistrez."
)
CONFIRM_RPPS_LABEL = _("Je confirme ce numéro RPPS")


def confirm_rpps_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=CONFIRM_RPPS_LABEL,
        required=False,
        help_text=_(
            "À cocher seulement si le numéro saisi est exact alors que sa clé de contrôle "
            "(Luhn) ne l'est pas : ce contrôle n'est pas documenté officiellement pour le RPPS."
        ),
    )


# The mixin goes before a form class: mypy sees the form's attributes on it.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class RppsConfirmationMixin(_FormBase):
    """clean_rpps() and clean() for a form with `rpps` and `confirm_rpps` fields."""

    def clean_rpps(self) -> str:
        rpps = "".join(self.cleaned_data.get("rpps", "").split())
        if rpps and not rpps_format_is_valid(rpps):
            raise forms.ValidationError(MSG_RPPS_FORMAT, code="rpps_format")  # R-ID1
        return rpps

    def clean(self):
        cleaned = super().clean()
        rpps = cleaned.get("rpps")
        # R-ID1: a failed Luhn check is a warning the user confirms, asked again only when the
        # number changes (an already confirmed number does not block other edits).
        if (
            rpps
            and "rpps" in self.changed_data
            and not luhn_is_valid(rpps)
            and not cleaned.get("confirm_rpps")
        ):
            self.add_error("rpps", forms.ValidationError(MSG_RPPS_LUHN, code="rpps_luhn"))
        return cleaned


class PractitionerCreationForm(RppsConfirmationMixin, AdminUserCreationForm):
    confirm_rpps = confirm_rpps_field()

    # The stubs do not declare these forms' Meta.
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "profession",
            "specialty",
            "rpps",
            "structure",
        )


class PractitionerChangeForm(RppsConfirmationMixin, UserChangeForm):
    confirm_rpps = confirm_rpps_field()

    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # not in the stubs
        model = User
        fields = "__all__"
