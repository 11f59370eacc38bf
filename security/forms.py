from django import forms
from django.utils.translation import gettext_lazy as _


class BootstrapMixin:
    """Bootstrap classes on the widgets and `is-invalid` on the fields in error."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    widget.attrs["class"] = " ".join([*classes, "is-invalid"])


class TokenForm(BootstrapMixin, forms.Form):
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
