"""Forms of the patient pages. They parse and shape the input; the rules live in services.py,
whose `ValidationError`s the views place next to the fields (`form.add_error`)."""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apa_portal.forms import BootstrapFormMixin
from practitioners.models import Profession, User

from .models import EligibilitySituation, Patient
from .services import PATIENT_FIELDS

MSG_IMPOSSIBLE_DATE = _(
    "Cette date n'existe pas : saisissez-la au format jj/mm/aaaa (par exemple 12/03/1956)."
)
MSG_CONFIRM_NOT_DUPLICATE = _(
    "Un patient de même nom de naissance, prénom et date de naissance existe déjà : vérifiez "
    "qu'il ne s'agit pas de lui, puis cochez la case pour confirmer."
)
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


class DateInput(forms.DateInput):
    """A date typed as `jj/mm/aaaa`, as on French forms.

    A text field rather than the browser's date picker: a birth date is typed faster than picked,
    and the picker shows the browser's own format (mm/dd/yyyy in an English browser).
    """

    input_type = "text"

    def __init__(self, attrs=None) -> None:
        attrs = {"placeholder": "jj/mm/aaaa", "inputmode": "numeric", "autocomplete": "off"} | (
            attrs or {}
        )
        super().__init__(attrs=attrs, format="%d/%m/%Y")


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": MSG_IMPOSSIBLE_DATE},
        **kwargs,
    )


class PatientForm(BootstrapFormMixin, forms.ModelForm):
    """Identity, contact details and eligibility (R-E1) of a patient.

    A ModelForm for the labels and the initial values only: the model is validated and saved
    by `patients.services` (`_post_clean` is a no-op), which gives the clear NIR messages.
    """

    birth_date = date_field(_("Date de naissance"))
    situations = forms.TypedMultipleChoiceField(
        label=_("Situations ouvrant droit à l'APA (art. D. 1172-1-1 du CSP)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    confirm_not_duplicate = forms.BooleanField(
        label=_("Je confirme qu'il s'agit d'un autre patient"), required=False
    )

    class Meta:
        model = Patient
        fields = [
            "birth_name",
            "used_name",
            "first_names",
            "birth_date",
            "sex",
            "nir",
            "physician_in_charge",
            "ald_details",
            "other_risk_factor",
            "phone",
            "email",
            "address",
            "postal_code",
            "city",
        ]
        widgets = {"sex": forms.RadioSelect}

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.situation_objects = {s.pk: s for s in EligibilitySituation.objects.all()}
        self.fields["situations"].choices = [
            (pk, s.label) for pk, s in self.situation_objects.items()
        ]
        if self.instance.pk and not self.is_bound:
            self.initial["situations"] = [s.pk for s in self.instance.situations.all()]
        structure_id = self.instance.structure_id if self.instance.pk else user.structure_id
        field = self.fields["physician_in_charge"]
        field.queryset = User.objects.filter(
            profession=Profession.PHYSICIAN, structure_id=structure_id, is_active=True
        )
        field.empty_label = _("— Non renseigné —")
        self.fields["sex"].choices = [c for c in self.fields["sex"].choices if c[0]]
        self.fields["nir"].widget.attrs.update(
            {"autocomplete": "off", "inputmode": "text", "maxlength": "21"}
        )
        self.fields["nir"].max_length = 21  # spaces allowed while typing; the service compacts
        self.fields["nir"].validators = []
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["confirm_not_duplicate"].widget.attrs["class"] = "form-check-input"

    def _post_clean(self) -> None:
        """The services validate the model (R-ID2 messages), not the ModelForm."""

    def situation_groups(self) -> list[tuple[str, list]]:
        """The situations' checkboxes grouped as in R-E1 (the three groups of the decree)."""
        by_group: dict[str, list] = {value: [] for value in EligibilitySituation.Group.values}
        for checkbox in self["situations"]:
            situation = self.situation_objects[int(str(checkbox.data["value"]))]
            by_group[situation.group].append(checkbox)
        return [
            (EligibilitySituation.Group(group).label, boxes)
            for group, boxes in by_group.items()
            if boxes
        ]

    def identity_changed(self) -> bool:
        return any(
            name in self.changed_data for name in ("birth_name", "first_names", "birth_date")
        )

    def service_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self.Meta.fields if name in PATIENT_FIELDS
        }

    def selected_situations(self) -> list[EligibilitySituation]:
        return [self.situation_objects[pk] for pk in self.cleaned_data["situations"]]

    def identity(self) -> tuple[str, str, date]:
        return (
            self.cleaned_data["birth_name"],
            self.cleaned_data["first_names"],
            self.cleaned_data["birth_date"],
        )
