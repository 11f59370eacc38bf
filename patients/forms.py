"""Forms of the patient pages. They parse and shape the input; the rules live in services.py,
whose `ValidationError`s the views place next to the fields (`form.add_error`)."""

from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Column, Field, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin, fields_helper
from practitioners.models import Profession, User

from . import rules
from .models import EligibilitySituation, Patient
from .services import PatientData

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MSG_IMPOSSIBLE_DATE = _(
    "Cette date n'existe pas : saisissez-la au format jj/mm/aaaa (par exemple 12/03/1956)."
)
MSG_CONFIRM_NOT_DUPLICATE = _(
    "Un patient de même nom de naissance, prénom et date de naissance existe déjà : vérifiez "
    "qu'il ne s'agit pas de lui, puis cochez la case pour confirmer."
)
MSG_SHORT_YEAR = _("Saisissez l'année sur quatre chiffres (par exemple 14/05/1961 et non 14/5/61).")
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


class FrenchDateField(forms.DateField):
    """`jj/mm/aaaa` (or with dashes or dots, or ISO); a year typed on two digits is told so
    rather than "this date does not exist"."""

    default_error_messages = {"short_year": MSG_SHORT_YEAR}

    def to_python(self, value):
        if isinstance(value, str) and rules.has_short_year(value):
            raise forms.ValidationError(self.error_messages["short_year"], code="short_year")
        return super().to_python(value)


def date_field(label, **kwargs) -> forms.DateField:
    return FrenchDateField(
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": MSG_IMPOSSIBLE_DATE},
        **kwargs,
    )


def situation_checkbox_groups(
    field: forms.BoundField, situations: dict[int, EligibilitySituation]
) -> list[tuple["StrOrPromise", list]]:
    """The checkboxes of a field of situations (`situations`: by pk) grouped as in R-E1 (the
    three groups of the decree), for forms/crispy/situations.html."""
    by_group: dict[str, list] = {value: [] for value in EligibilitySituation.Group.values}
    for checkbox in field:
        situation = situations[int(str(checkbox.data["value"]))]
        by_group[situation.group].append(checkbox)
    return [
        (EligibilitySituation.Group(group).label, boxes)
        for group, boxes in by_group.items()
        if boxes
    ]


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
        help_text=_(
            "Cochez chaque situation du patient (art. L. 1172-1 et D. 1172-1-1 du CSP). Une "
            "prescription ne peut être émise que pour un patient dans l'une d'elles."
        ),
    )
    confirm_not_duplicate = forms.BooleanField(
        label=_("Je confirme qu'il s'agit d'un autre patient"), required=False
    )

    class Meta:
        model = Patient
        # The fields a person types, in the page's order (`services.PatientData`).
        fields = list(PatientData.field_names())
        widgets = {"sex": forms.RadioSelect}

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.situation_objects = {s.pk: s for s in EligibilitySituation.objects.all()}
        # self.fields holds Field: each cast to the class its form field is (for mypy).
        cast(forms.ChoiceField, self.fields["situations"]).choices = [
            (pk, s.label) for pk, s in self.situation_objects.items()
        ]
        if self.instance.pk and not self.is_bound:
            self.initial["situations"] = [s.pk for s in self.instance.situations.all()]
        structure_id = self.instance.structure_id if self.instance.pk else user.structure_id
        field = cast(forms.ModelChoiceField, self.fields["physician_in_charge"])
        field.queryset = User.objects.filter(
            profession=Profession.PHYSICIAN,
            structure_id=structure_id,  # type: ignore[misc]  # None: no physician (IS NULL)
            is_active=True,
        )
        field.empty_label = _("— Non renseigné —")
        sex = cast(forms.ChoiceField, self.fields["sex"])
        # Read back, the choices are a normalised list; the stubs type them as any input.
        sex_choices: list[tuple[Any, Any]] = sex.choices  # type: ignore[assignment]
        sex.choices = [c for c in sex_choices if c[0]]
        self.fields["nir"].widget.attrs.update(
            {"autocomplete": "off", "inputmode": "text", "maxlength": "21"}
        )
        nir = cast(forms.CharField, self.fields["nir"])
        nir.max_length = 21  # spaces allowed while typing; the service compacts
        self.fields["nir"].validators = []
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["situations"].widget.attrs["class"] = "form-check-input"
        if not self.instance.pk:
            self.fields["birth_name"].widget.attrs["autofocus"] = True

    @cached_property
    def sections(self) -> dict:
        """The page's fieldsets, each rendered by crispy (`{% crispy form form.sections.x %}`)."""
        return {
            "identity": fields_helper(
                Row(
                    Column("birth_name", css_class="col-md-4"),
                    Column("used_name", css_class="col-md-4"),
                    Column("first_names", css_class="col-md-4"),
                ),
                Row(
                    Column("birth_date", css_class="col-md-4"),
                    Column(InlineRadios("sex"), css_class="col-md-3"),
                    Column("nir", css_class="col-md-5"),
                ),
                Row(Column("physician_in_charge", css_class="col-md-6")),
            ),
            "situations": fields_helper(
                Field("situations", template="forms/crispy/situations.html"),
                Row(
                    Column("ald_details", css_class="col-md-6"),
                    Column("other_risk_factor", css_class="col-md-6"),
                ),
            ),
            "contact": fields_helper(
                Row(Column("phone", css_class="col-md-4"), Column("email", css_class="col-md-8")),
                Row(
                    Column("address", css_class="col-md-6"),
                    Column("postal_code", css_class="col-md-2"),
                    Column("city", css_class="col-md-4"),
                ),
            ),
            "confirm": fields_helper("confirm_not_duplicate"),
        }

    def _post_clean(self) -> None:
        """The services validate the model (R-ID2 messages), not the ModelForm."""

    def situation_groups(self) -> list[tuple["StrOrPromise", list]]:
        return situation_checkbox_groups(self["situations"], self.situation_objects)

    def identity_changed(self) -> bool:
        return any(
            name in self.changed_data for name in ("birth_name", "first_names", "birth_date")
        )

    def patient_data(self) -> PatientData:
        return PatientData(**{name: self.cleaned_data[name] for name in PatientData.field_names()})

    def selected_situations(self) -> list[EligibilitySituation]:
        return [self.situation_objects[pk] for pk in self.cleaned_data["situations"]]

    def identity(self) -> tuple[str, str, date]:
        return (
            self.cleaned_data["birth_name"],
            self.cleaned_data["first_names"],
            self.cleaned_data["birth_date"],
        )
