"""The form of the public verification page: the reference and the code printed on the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin

from .renewal_forms import ReferenceField, normalize_code
from .rules import VERIFIABLE_PREFIXES

MSG_VERIFY_CODE_FORMAT = _("Le code de vérification compte 6 caractères, par exemple 7K3QX9.")


class VerificationForm(BootstrapFormMixin, forms.Form):
    reference = ReferenceField(
        prefixes=VERIFIABLE_PREFIXES,
        label=_("Référence du document"),
        help_text=_("Imprimée en haut du formulaire, par exemple APA-2026-7K3Q-X9MD."),
    )
    code = forms.CharField(
        label=_("Code de vérification"),
        max_length=20,
        help_text=_("Imprimé sous la référence (6 caractères)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if len(code) != 6:
            raise forms.ValidationError(MSG_VERIFY_CODE_FORMAT)
        return code
