"""Forms of the physiotherapist's journey: the look-up and the renewal or adaptation.

They only parse and shape the input; the rules (R-R1 to R-R5) live in `services.py`, whose
messages the views place next to the fields.
"""

from functools import cached_property
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin, fields_helper
from patients.forms import FrenchDateField

from . import rules
from .content import Recommendations
from .forms import RecommendationsForm, duration_field
from .models import Renewal
from .rules import MSG_RENEW_NO_AGREEMENT, MSG_RENEW_NO_ATTESTATION

MSG_LOOKUP_REFERENCE_FORMAT = _(
    "La référence se présente ainsi : APA-2026-7K3Q-X9MD (les tirets et les espaces sont "
    "facultatifs)."
)
MSG_LOOKUP_BIRTH_DATE_FORMAT = _("Saisissez la date de naissance au format jj/mm/aaaa.")

# R-R5 (CSP D.1172-2-1), the wording the physiotherapist attests.
ATTESTATION_LABEL = _(
    "Le compte rendu et les bilans (art. D. 1172-5 du CSP) ne rapportent pas de difficulté ou de "
    "risque dans la pratique de l'activité physique adaptée susceptible de nuire à la santé du "
    "patient"
)
AGREEMENT_LABEL = _(
    "Le patient a donné son accord au renouvellement ou à l'adaptation de sa prescription"
)
BIRTH_DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d%m%Y", "%Y-%m-%d"]


def normalize_code(value: str) -> str:
    """A verification code as typed or scanned -> its stored form (same alphabet as references)."""
    compact = "".join(c for c in value.upper() if c.isalnum())
    lookalikes: dict[str, str | int | None] = {"O": "0", "I": "1", "L": "1"}  # typeshed's type
    return compact.translate(str.maketrans(lookalikes))


class ReferenceField(forms.CharField):
    """A prescription's reference as typed from paper or read from the QR code, normalised
    (`rules.normalize_reference`): case, spaces, dashes and look-alike letters do not matter."""

    def __init__(self, *, prefixes: tuple[str, ...] = (rules.PRESCRIPTION_PREFIX,), **kwargs: Any):
        self.prefixes = prefixes
        kwargs.setdefault("label", _("Référence de la prescription"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        normalized = rules.normalize_reference(super().clean(value), self.prefixes)
        if not normalized:
            raise forms.ValidationError(MSG_LOOKUP_REFERENCE_FORMAT, code="reference_format")
        return normalized


class LookupForm(BootstrapFormMixin, forms.Form):
    reference = ReferenceField(
        help_text=_(
            "Imprimée en haut du formulaire de prescription, par exemple APA-2026-7K3Q-X9MD."
        ),
    )
    birth_date = FrenchDateField(
        label=_("Date de naissance du patient"),
        input_formats=BIRTH_DATE_FORMATS,
        help_text=_("jj/mm/aaaa"),
        error_messages={"invalid": MSG_LOOKUP_BIRTH_DATE_FORMAT},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "placeholder": "jj/mm/aaaa"}
        ),
    )
    # Only with the QR code: the code printed next to it, checked with the birth date.
    code = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, from_qr_code: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.from_qr_code = from_qr_code
        if from_qr_code:
            # The reference comes from the QR code: the user only confirms the birth date.
            self.fields["reference"].widget.attrs["readonly"] = True
            self.fields["reference"].widget.attrs["class"] = "form-control-plaintext fw-semibold"
            self.fields["reference"].help_text = _("Lue dans le QR code.")
            self.fields["birth_date"].widget.attrs["autofocus"] = True
        else:
            self.fields["reference"].widget.attrs["autofocus"] = True

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data.get("code") or "")


class RenewalForm(RecommendationsForm):
    """R-R2: a renewal (same content, new duration) or an adaptation (new recommendations)."""

    kind = forms.ChoiceField(
        label=_("Vous faites"),
        choices=Renewal.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Renouvellement : mêmes préconisations, nouvelle durée. Adaptation : vous modifiez le "
            "type d'activité, la fréquence, l'intensité ou la durée des séances."
        ),
        error_messages={"required": _("Choisissez renouvellement ou adaptation.")},
    )
    duration_months = duration_field(_("Pour une durée de"), help_text=_("3 à 6 mois maximum."))
    # R-R1 and R-R5: required to sign, with the service's messages (it checks them again).
    patient_agreement = forms.BooleanField(
        label=AGREEMENT_LABEL, error_messages={"required": MSG_RENEW_NO_AGREEMENT}
    )
    no_risk_attestation = forms.BooleanField(
        label=ATTESTATION_LABEL, error_messages={"required": MSG_RENEW_NO_ATTESTATION}
    )

    # The order of the page (and of its error summary).
    field_order = [
        "kind",
        "duration_months",
        *Recommendations.field_names(),
        "patient_agreement",
        "no_risk_attestation",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        text = self.fields["recommendations_text"]
        text.label, text.help_text = _("Préconisations adaptées (texte libre)"), ""

    @cached_property
    def sections(self) -> dict:
        """The page's parts, each rendered by crispy (`{% crispy form form.sections.x %}`)."""
        return {
            "main": fields_helper("kind", InlineRadios("duration_months")),
            "adaptation": fields_helper(*self.recommendations_layout()),
            "attest": fields_helper("patient_agreement", "no_risk_attestation"),
        }

    @classmethod
    def initial_for(cls, prescription) -> dict[str, Any]:
        """Start an adaptation from the initial recommendations, so that only changes are typed."""
        return Recommendations.of(prescription).as_dict() | {
            "duration_months": prescription.duration_months
        }

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `services.prescription_renew` from the cleaned data."""
        data = self.cleaned_data
        adaptations = None
        if data["kind"] == Renewal.Kind.ADAPTATION:
            values: dict[str, Any] = {
                name: data.get(name) for name in Recommendations.field_names()
            }
            adaptations = Recommendations(**values).normalized()
        return {
            "kind": data["kind"],
            "duration_months": data["duration_months"],
            "patient_agreement": bool(data.get("patient_agreement")),
            "no_risk_attestation": bool(data.get("no_risk_attestation")),
            "adaptations": adaptations,
        }
