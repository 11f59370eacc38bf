"""Forms of the bilans: plain forms built from the models' fields (the services validate and
save; a ModelForm would run the model's validation before them, without their messages).

Data entry in a gym on a tablet: numeric keyboards (`inputmode`), the unit in each label, one
reason « non réalisé » beside each test.
"""

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin
from prescriptions.rules import ActivityType

from . import rules
from .models import EntryBilan, ExitBilan, ProgressReport
from .services import ENTRY_FIELDS, EXIT_FIELDS, REPORT_FIELDS

TEXT_MAX_LENGTH = 5000  # as the prescription's free texts (prescriptions.forms)
ITEM_FIELDS = [f"activity_item_{n}" for n in range(1, rules.RICCI_GAGNON.items + 1)]


class _Base(BootstrapFormMixin, forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.DecimalField):
                # French typing: « 13,5 » as well as « 13.5 ». A browser's number input refuses
                # the comma in some locales: a text input with the decimal keyboard.
                field.localize = True
                field.widget = forms.TextInput(attrs={"inputmode": "decimal"})
                field.widget.is_localized = True
            elif isinstance(field, forms.IntegerField):
                field.widget.attrs.update(inputmode="numeric")
            if name == "performed_on":
                field.widget = forms.DateInput(attrs={"type": "date", "class": "form-control"})

    def values(self) -> dict:
        """The cleaned values as the services take them (the questionnaire as one list)."""
        values = {k: v for k, v in self.cleaned_data.items() if k not in ITEM_FIELDS}
        if ITEM_FIELDS[0] in self.fields:
            items = [self.cleaned_data.get(name) for name in ITEM_FIELDS]
            values["activity_items"] = [] if all(i is None for i in items) else items
        if values.get("performed_on") is None:
            values.pop("performed_on", None)  # today, by the service
        return values

    @classmethod
    def initial_from(cls, instance) -> dict:
        initial = {
            name: getattr(instance, name) for name in cls.base_fields if hasattr(instance, name)
        }
        for index, name in enumerate(ITEM_FIELDS):
            items = getattr(instance, "activity_items", None) or []
            if index < len(items):
                initial[name] = items[index]
        return initial


def _model_fields(model, names) -> dict:
    fields = fields_for_model(model, fields=[n for n in names if n != "activity_items"])
    for name in ("programme_activity_types", "continue_activity_types"):
        if name in fields:
            fields[name] = forms.MultipleChoiceField(
                label=_("Types d'activité"),
                choices=ActivityType.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
    for name, field in fields.items():
        field.required = name in ("sessions_done", "tolerance")
        if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
            # A free text is bounded (a page of text), refused beyond with Django's French
            # message rather than stored whole.
            field.max_length = TEXT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
            field.widget.attrs["maxlength"] = str(TEXT_MAX_LENGTH)
    return fields


def _item_fields() -> dict:
    return {
        name: forms.IntegerField(
            label=_("Question %(n)s (points)") % {"n": n},
            required=False,
            min_value=rules.RICCI_GAGNON.item_min,
            max_value=rules.RICCI_GAGNON.item_max,
        )
        for n, name in enumerate(ITEM_FIELDS, start=1)
    }


EntryBilanForm: type[_Base] = type(
    "EntryBilanForm", (_Base,), {**_model_fields(EntryBilan, ENTRY_FIELDS), **_item_fields()}
)
ExitBilanForm: type[_Base] = type(
    "ExitBilanForm", (_Base,), {**_model_fields(ExitBilan, EXIT_FIELDS), **_item_fields()}
)
ProgressReportForm: type[_Base] = type(
    "ProgressReportForm", (_Base,), _model_fields(ProgressReport, REPORT_FIELDS)
)
