"""Forms of the physician's journey: the prescription (R-P1 to R-P3) with its functional-limitation
assessment (R-L1 to R-L3), and the cancellation.

They only parse and shape the input. The rules live in `rules.py` and `services.py`, whose
`ValidationError`s the views place next to the fields named here (same names as the services').
"""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apa_portal.forms import BootstrapFormMixin
from patients.forms import date_field

from . import rules
from .models import LimitationAssessment, Prescription
from .rules import (
    SESSION_MINUTES_MAX,
    SESSION_MINUTES_MIN,
    SESSIONS_PER_WEEK_MAX,
    SESSIONS_PER_WEEK_MIN,
    Function,
    LimitationLevel,
)
from .services import MSG_DURATION

MSG_SESSIONS_PER_WEEK = _("Le nombre de séances par semaine doit être de 1 à 7.")
MSG_SESSION_MINUTES = _("La durée d'une séance doit être de 10 à 180 minutes.")
MSG_RATE_ALL_FUNCTIONS = _(
    "Évaluez aussi cette fonction : les trois fonctions sont évaluées séparément (ou laissez "
    "l'évaluation entière vide pour un brouillon)."
)
MSG_BAD_CHOICE = _("Choix invalide : sélectionnez une des options proposées.")
AGREEMENT_LABEL = _(
    "Le patient a donné son accord à cette prescription d'activité physique adaptée"
)
YES, NO = "oui", "non"
ASSESSMENT_FUNCTIONS = ("locomotor", "cerebral", "sensory")  # R-L1, in the form's order


def _level_field(function: Function) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=function.label,
        choices=LimitationLevel.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )


class RecommendationsForm(BootstrapFormMixin, forms.Form):
    """R-P3: the structured recommendations, shared by the physician's prescription and the
    physiotherapist's adaptation (CSP D.1172-2-1: type of activity, intensity, frequency,
    duration)."""

    activity_types = forms.MultipleChoiceField(
        label=_("Types d'activité"),
        choices=rules.ActivityType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    sessions_per_week = forms.IntegerField(
        label=_("Séances par semaine"),
        required=False,
        min_value=SESSIONS_PER_WEEK_MIN,
        max_value=SESSIONS_PER_WEEK_MAX,
        error_messages={
            "invalid": MSG_SESSIONS_PER_WEEK,
            "min_value": MSG_SESSIONS_PER_WEEK,
            "max_value": MSG_SESSIONS_PER_WEEK,
        },
    )
    session_minutes = forms.IntegerField(
        label=_("Durée d'une séance (minutes)"),
        required=False,
        min_value=SESSION_MINUTES_MIN,
        max_value=SESSION_MINUTES_MAX,
        error_messages={
            "invalid": MSG_SESSION_MINUTES,
            "min_value": MSG_SESSION_MINUTES,
            "max_value": MSG_SESSION_MINUTES,
        },
    )
    intensity = forms.ChoiceField(
        label=_("Intensité"),
        choices=rules.Intensity.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Équivalents sur l'échelle de Borg (6 à 20)."),
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    recommendations_text = forms.CharField(
        label=_("Préconisations (texte libre)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Selon les référentiels d'aide à la prescription de la HAS lorsqu'ils existent."
        ),
    )


# The database constraints' messages (R-P1, R-P2, R-P3) that the services may report as
# non-field errors next to their own field message: shown next to that field, once.
CONSTRAINT_FIELDS = {
    "prescription_duration_3_to_6_months": "duration_months",
    "prescription_oui_has_reason": "physician_renewal_reason",
    "prescription_issued_has_agreement": "patient_agreement",
    "prescription_sessions_per_week_range": "sessions_per_week",
    "prescription_session_minutes_range": "session_minutes",
}
CONSTRAINT_MESSAGE_FIELDS = {
    str(c.violation_error_message): CONSTRAINT_FIELDS[c.name]
    for c in Prescription._meta.constraints
    if c.name in CONSTRAINT_FIELDS
}


def duration_field(label, *, help_text) -> forms.TypedChoiceField:
    """R-P2, R-R2 (CSP D.1172-2, D.1172-2-1): 3 to 6 whole months, with the services' message
    (they say the same; the form says it first)."""
    return forms.TypedChoiceField(
        label=label,
        choices=rules.DURATION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": MSG_DURATION, "invalid_choice": MSG_DURATION},
    )


class PrescriptionForm(RecommendationsForm):
    """One page for the whole prescription: content, restrictions, assessment, NON/OUI, consent."""

    service_message_fields = CONSTRAINT_MESSAGE_FIELDS

    duration_months = duration_field(
        _("Durée de la prescription"),
        help_text=_("De 3 à 6 mois, renouvelable, à adapter selon l'évolution du patient."),
    )
    start_date = date_field(_("Début"), help_text=_("Par défaut : aujourd'hui."))
    # R-P3: restrictions, the printed examples as one-click chips plus free text.
    restriction_picks = forms.MultipleChoiceField(
        label=_("Restrictions fréquentes"),
        choices=rules.RestrictionPick.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}),
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    restrictions_text = forms.CharField(
        label=_("Autres restrictions et/ou limitations fonctionnelles à prendre en compte"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # R-L1: the three functions rated separately; R-L3 indicators; R-L2 the confirmed level.
    locomotor = _level_field(Function.LOCOMOTOR)
    cerebral = _level_field(Function.CEREBRAL)
    sensory = _level_field(Function.SENSORY)
    severe_indicators = forms.MultipleChoiceField(
        label=_("Indicateurs de limitation sévère constatés"),
        choices=[(i.code, i.label) for i in rules.SEVERE_INDICATORS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    confirmed_level = forms.TypedChoiceField(
        label=_("Limitation fonctionnelle retenue"),
        choices=[("", _("Niveau calculé"))] + list(LimitationLevel.choices),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "L'outil n'est qu'une aide à la décision : il appartient au médecin d'identifier "
            "la limitation fonctionnelle de son patient."
        ),
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    # R-P3: the NON/OUI question of the form, with the indication when OUI.
    physician_renewal_required = forms.TypedChoiceField(
        label=_(
            "Le patient présente-t-il une indication qui nécessite le renouvellement et "
            "l'adaptation de la prescription par un médecin ?"
        ),
        choices=[(NO, _("NON")), (YES, _("OUI"))],
        coerce=lambda value: value == YES,
        initial=NO,
        widget=forms.RadioSelect,
        error_messages={"required": MSG_BAD_CHOICE, "invalid_choice": MSG_BAD_CHOICE},
    )
    physician_renewal_reason = forms.CharField(
        label=_("Si oui, laquelle"), required=False, max_length=500
    )
    # R-P1: with the patient's agreement (checked when issuing; a draft may wait for it).
    patient_agreement = forms.BooleanField(label=AGREEMENT_LABEL, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "start_date" not in self.initial:
            self.initial["start_date"] = timezone.localdate()
        self.fields["start_date"].error_messages["required"] = _(
            "Indiquez la date de début (jj/mm/aaaa)."
        )
        self.fields["physician_renewal_reason"].widget.attrs["maxlength"] = "500"
        self.fields["restriction_picks"].widget.attrs["class"] = "btn-check"

    @classmethod
    def initial_from(cls, prescription: Prescription) -> dict[str, Any]:
        """The form's initial values for a saved draft."""
        initial: dict[str, Any] = {
            name: getattr(prescription, name)
            for name in (
                "duration_months",
                "start_date",
                "activity_types",
                "sessions_per_week",
                "session_minutes",
                "intensity",
                "recommendations_text",
                "restriction_picks",
                "restrictions_text",
                "physician_renewal_reason",
                "patient_agreement",
            )
        }
        initial["physician_renewal_required"] = (
            YES if prescription.physician_renewal_required else NO
        )
        try:
            assessment = prescription.assessment
        except LimitationAssessment.DoesNotExist:
            return initial
        for name in (*ASSESSMENT_FUNCTIONS, "severe_indicators", "confirmed_level"):
            initial[name] = getattr(assessment, name)
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ratings = {name: data.get(name) for name in ASSESSMENT_FUNCTIONS}
        started = (
            any(value is not None for value in ratings.values())
            or data.get("confirmed_level") is not None
            or data.get("severe_indicators")
        )
        if started:
            for name, value in ratings.items():
                if value is None and name not in self.errors:
                    self.add_error(name, MSG_RATE_ALL_FUNCTIONS)  # R-L1
        return data

    # --- What the services take ----------------------------------------------------------
    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            # R-P4: the prescription is dated the day it is written (and signed).
            "prescribed_on": timezone.localdate(),
            "start_date": data["start_date"],
            "duration_months": data["duration_months"],
            "activity_types": data["activity_types"],
            "sessions_per_week": data["sessions_per_week"],
            "intensity": data["intensity"],
            "session_minutes": data["session_minutes"],
            "recommendations_text": data["recommendations_text"],
            "restriction_picks": data["restriction_picks"],
            "restrictions_text": data["restrictions_text"],
            "physician_renewal_required": data["physician_renewal_required"],
            "physician_renewal_reason": data["physician_renewal_reason"],
            "patient_agreement": data["patient_agreement"],
        }

    def computed_level(self) -> int | None:
        """R-L2, on the submitted ratings (None until the three are rated)."""
        data = getattr(self, "cleaned_data", None) or {}
        ratings = [data.get(name) for name in ASSESSMENT_FUNCTIONS]
        if any(value is None for value in ratings):
            return None
        return rules.resulting_level(*ratings)

    def assessment(self) -> dict[str, Any] | None:
        """The assessment for the service, or None when the physician has not rated yet.

        Left on "Niveau calculé", the confirmed level is the computed one (R-L2): the physician
        confirms it by saving or signing the page that shows it.
        """
        computed = self.computed_level()
        if computed is None:
            return None
        data = self.cleaned_data
        confirmed = data.get("confirmed_level")
        return {
            **{name: data[name] for name in ASSESSMENT_FUNCTIONS},
            "severe_indicators": data.get("severe_indicators") or [],
            "confirmed_level": computed if confirmed is None else confirmed,
        }

    # --- Grouping for the template ---------------------------------------------------------
    def assessment_rows(self) -> list[dict[str, Any]]:
        """Per function: its rating field and its R-L3 severe indicators' checkboxes."""
        boxes = {str(box.data["value"]): box for box in self["severe_indicators"]}
        return [
            {
                "field": self[function.value],
                "function": function.value,
                "indicators": [
                    boxes[i.code] for i in rules.SEVERE_INDICATORS if i.function == function
                ],
            }
            for function in Function
        ]


class CancelForm(BootstrapFormMixin, forms.Form):
    cancel_reason = forms.CharField(
        label=_("Motif de l'annulation"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire pour retirer une prescription émise."),
    )
