from django import forms
from django.utils.translation import gettext_lazy as _

from apa_portal.forms import BootstrapFormMixin


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
