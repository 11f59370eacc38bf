"""Forms of the post-cancer pathway: plain forms (the services validate and save, with their
French messages placed by code next to the fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin
from practitioners.models import Structure, User

from .rules import BILAN_KINDS, Kind

DATE_WIDGET = {"type": "date", "class": "form-control"}


class EpisodeForm(BootstrapFormMixin, forms.Form):
    localisation = forms.CharField(label=_("Localisation du cancer"), max_length=150)
    treatment_end = forms.DateField(
        label=_("Date de fin du traitement"), widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    ald = forms.BooleanField(
        label=_("Le patient est en affection de longue durée (ALD) pour ce cancer"),
        required=False,
    )


class PathwayForm(BootstrapFormMixin, forms.Form):
    structure = forms.ModelChoiceField(
        label=_("Structure conventionnée par l'ARS qui réalise le parcours"),
        queryset=Structure.objects.none(),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Bilans prescrits"),
        choices=[(k.value, k.label) for k in Kind if k in BILAN_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    prescribed_on = forms.DateField(
        label=_("Date de la prescription"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET),
        help_text=_("Aujourd'hui si vide."),
    )

    def __init__(self, *args, structures=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if structures is not None:
            self.fields["structure"].queryset = structures  # type: ignore[attr-defined]


class BookingForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Prestation"), choices=Kind.choices)
    scheduled_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs=DATE_WIDGET))
    professional = forms.ModelChoiceField(label=_("Professionnel"), queryset=User.objects.none())

    def __init__(self, *args, professionals=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if professionals is not None:
            self.fields["professional"].queryset = professionals  # type: ignore[attr-defined]


class MarkForm(BootstrapFormMixin, forms.Form):
    done = forms.TypedChoiceField(
        label=_("Réalisé ?"),
        choices=[("1", _("Réalisé")), ("0", _("Non réalisé"))],
        coerce=lambda v: v == "1",
    )
    apa_project = forms.CharField(
        label=_("Projet d'activité physique adaptée (bilan d'activité physique)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PeriodForm(forms.Form):
    """The statements' period, from the query string (a bad value is a French error, never a
    500)."""

    annee = forms.IntegerField(min_value=2020, max_value=2100, required=False)
    mois = forms.IntegerField(min_value=1, max_value=12, required=False)
    trimestre = forms.IntegerField(min_value=1, max_value=4, required=False)
