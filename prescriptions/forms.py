"""Forms of the physician's journey: the prescription (R-P1 to R-P3) with its functional-limitation
assessment (R-L1 to R-L3), and the cancellation.

They only parse and shape the input. The rules live in `rules.py` and `services.py`, whose
`ValidationError`s the views place next to the fields named here (same names as the services').
"""

from dataclasses import asdict
from functools import cached_property
from typing import Any

from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.layout import Column, Div, Field, Row
from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kernel.forms import BootstrapFormMixin, fields_helper
from patients.forms import date_field
from patients.models import EligibilitySituation

from . import rules
from .content import AssessmentInput, PrescriptionContent
from .models import LimitationAssessment, Prescription
from .rules import (
    MSG_DURATION,
    MSG_NO_AGREEMENT,
    MSG_OUI_WITHOUT_REASON,
    MSG_SESSION_MINUTES,
    MSG_SESSIONS_PER_WEEK,
    SESSION_MINUTES_MAX,
    SESSION_MINUTES_MIN,
    SESSIONS_PER_WEEK_MAX,
    SESSIONS_PER_WEEK_MIN,
    Function,
    LimitationLevel,
)
from .services import MSG_NO_ASSESSMENT, MSG_NO_RECOMMENDATION, MSG_NOT_ELIGIBLE

MSG_RATE_ALL_FUNCTIONS = _(
    "Évaluez aussi cette fonction : les trois fonctions sont évaluées séparément (ou laissez "
    "l'évaluation entière vide pour un brouillon)."
)


def _coded(message: Any, code: str) -> forms.ValidationError:
    """An error with the services' code, so that the pages and tests tell it by its code."""
    return forms.ValidationError(message, code=code)


MSG_BAD_CHOICE = _("Choix invalide : sélectionnez une des options proposées.")
AGREEMENT_LABEL = _(
    "Le patient a donné son accord à cette prescription d'activité physique adaptée"
)
MSG_START_TOO_EARLY = _(
    "La date de début ne peut pas précéder le %(first)s : une prescription commence au plus tôt "
    "le jour de sa signature."
)
MSG_START_TOO_LATE = _(
    "La date de début ne peut pas dépasser le %(last)s (%(months)s mois après la signature) : "
    "vérifiez la date (jj/mm/aaaa)."
)
MSG_ANSWER_NO_OR_YES = _("Répondez NON ou OUI.")
SITUATIONS_LABEL = _("Situation ouvrant droit à l'APA (art. D. 1172-1-1 du CSP)")
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

    def recommendations_layout(self) -> list:
        return [
            InlineCheckboxes("activity_types"),
            Row(
                Column("sessions_per_week", css_class="col-sm-6 col-md-4"),
                Column("session_minutes", css_class="col-sm-6 col-md-4"),
            ),
            InlineRadios("intensity"),
            Field("recommendations_text", wrapper_class="mb-0"),
        ]


# The codes of the database constraints (R-P1, R-P2, R-P3) that the services may report as
# non-field errors next to their own field error: shown next to that field, once.
CONSTRAINT_ERROR_FIELDS = {
    "duration": "duration_months",
    "oui_without_reason": "physician_renewal_reason",
    "no_agreement": "patient_agreement",
    "sessions_per_week_range": "sessions_per_week",
    "session_minutes_range": "session_minutes",
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

    # The order of the page (and of its error summary).
    field_order = [
        "situations",
        "duration_months",
        "start_date",
        "activity_types",
        "sessions_per_week",
        "session_minutes",
        "intensity",
        "recommendations_text",
        "restriction_picks",
        "restrictions_text",
        *ASSESSMENT_FUNCTIONS,
        "severe_indicators",
        "confirmed_level",
        "physician_renewal_required",
        "physician_renewal_reason",
        "patient_agreement",
    ]
    # The services' form-wide errors shown next to a field, by code: the first rating for a
    # missing assessment, the situations (asked here when the patient has none) for R-E1.
    service_error_fields = {
        **CONSTRAINT_ERROR_FIELDS,
        "no_assessment": "locomotor",
        "not_eligible": "situations",
    }
    # Required to issue, not to save a draft: marked with the required ones (R-P1, R-P3, R-L1,
    # R-E1) and checked by clean() when the physician presses "Émettre et signer".
    ISSUE_REQUIRED_FIELDS = (
        "activity_types",
        "locomotor",
        "cerebral",
        "sensory",
        "patient_agreement",
        "situations",
    )

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
        error_messages={"required": MSG_ANSWER_NO_OR_YES, "invalid_choice": MSG_BAD_CHOICE},
    )
    physician_renewal_reason = forms.CharField(
        label=_("Si oui, laquelle"), required=False, max_length=500
    )
    # R-P1: with the patient's agreement (checked when issuing; a draft may wait for it).
    patient_agreement = forms.BooleanField(label=AGREEMENT_LABEL, required=False)

    def __init__(
        self,
        *args,
        issuing: bool = False,
        eligible: bool = True,
        situations: list[EligibilitySituation] | None = None,
        **kwargs,
    ) -> None:
        """`issuing`: "Émettre et signer" was pressed, every requirement of the issue is checked
        at once. `eligible`: the patient has a situation of R-E1; when not, `situations` (given
        when the physician may edit the patient) are offered in the form itself."""
        super().__init__(*args, **kwargs)
        self.issuing = issuing
        self.eligible = eligible
        self.situation_objects = {s.pk: s for s in situations or []}
        if not eligible and situations:
            self.fields["situations"] = forms.TypedMultipleChoiceField(
                label=SITUATIONS_LABEL,
                choices=[(s.pk, s.label) for s in situations],
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_(
                    "Le patient n'en a aucune dans son dossier : cochez la sienne, elle y sera "
                    "enregistrée avec la prescription."
                ),
                error_messages={"invalid_choice": MSG_BAD_CHOICE},
            )
            self.order_fields(self.field_order)
        for name in self.ISSUE_REQUIRED_FIELDS:
            if name in self.fields:
                field = self.fields[name]
                field.label = format_html('{}<span class="asteriskField">*</span>', field.label)
        if not self.is_bound and "start_date" not in self.initial:
            self.initial["start_date"] = timezone.localdate()
        self.fields["start_date"].error_messages["required"] = _(
            "Indiquez la date de début (jj/mm/aaaa)."
        )
        self.fields["physician_renewal_reason"].widget.attrs["maxlength"] = "500"
        # Rendered box by box by the page's own templates (chips, assessment rows, groups).
        self.fields["restriction_picks"].widget.attrs["class"] = "btn-check"
        self.fields["severe_indicators"].widget.attrs["class"] = "form-check-input"
        if "situations" in self.fields:
            self.fields["situations"].widget.attrs["class"] = "form-check-input"

    @classmethod
    def initial_from(cls, prescription: Prescription) -> dict[str, Any]:
        """The form's initial values for a saved draft."""
        initial = PrescriptionContent.of(prescription).as_dict()
        initial["physician_renewal_required"] = (
            YES if prescription.physician_renewal_required else NO
        )
        try:
            assessment = prescription.assessment
        except LimitationAssessment.DoesNotExist:
            return initial
        return initial | asdict(AssessmentInput.of(assessment))

    def clean_start_date(self):
        """R-P2, R-P4: within the window around the day of signing (today), set in settings."""
        start = self.cleaned_data["start_date"]
        today = timezone.localdate()
        months = settings.APA_START_DATE_MONTHS_AFTER
        first, last = rules.start_date_bounds(
            today, days_before=settings.APA_START_DATE_DAYS_BEFORE, months_after=months
        )
        if start < first:
            raise forms.ValidationError(
                MSG_START_TOO_EARLY, code="start_too_early", params={"first": _day(first)}
            )
        if start > last:
            raise forms.ValidationError(
                MSG_START_TOO_LATE,
                code="start_too_late",
                params={"last": _day(last), "months": months},
            )
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data: for mypy
        ratings = {name: data.get(name) for name in ASSESSMENT_FUNCTIONS}
        started = (
            any(value is not None for value in ratings.values())
            or data.get("confirmed_level") is not None
            or data.get("severe_indicators")
        )
        if started or self.issuing:
            for name, value in ratings.items():
                if value is None and name not in self.errors:
                    # R-L1; nothing rated yet when issuing: one message, on the first function
                    # (R-P3, R-L2).
                    if not started:
                        self.add_error(name, _coded(MSG_NO_ASSESSMENT, "no_assessment"))
                        break
                    self.add_error(name, _coded(MSG_RATE_ALL_FUNCTIONS, "rate_all_functions"))
        if (
            data.get("physician_renewal_required")
            and not (data.get("physician_renewal_reason") or "").strip()
        ):
            self._add_once(  # R-P3
                "physician_renewal_reason", _coded(MSG_OUI_WITHOUT_REASON, "oui_without_reason")
            )
        if self.issuing:
            self._check_issuable(data)
        return data

    def _check_issuable(self, data: dict[str, Any]) -> None:
        """What `prescription_issue` requires, checked with the rest so that a refused issue
        lists every missing item at once (the service checks them again)."""
        if not data.get("patient_agreement"):
            self._add_once("patient_agreement", _coded(MSG_NO_AGREEMENT, "no_agreement"))  # R-P1
        if not (data.get("activity_types") or (data.get("recommendations_text") or "").strip()):
            self._add_once(  # R-P3
                "activity_types", _coded(MSG_NO_RECOMMENDATION, "no_recommendation")
            )
        if not self.eligible and not data.get("situations"):
            self._add_once(  # R-E1
                "situations" if "situations" in self.fields else None,
                _coded(MSG_NOT_ELIGIBLE, "not_eligible"),
            )

    def _add_once(self, name: str | None, error: forms.ValidationError) -> None:
        if name is None or name not in self.errors:
            self.add_error(name, error)

    def selected_situations(self) -> list[EligibilitySituation]:
        """The situations ticked in the form (R-E1), for the patient's record."""
        picked = self.cleaned_data.get("situations") or []
        return [self.situation_objects[pk] for pk in picked if pk in self.situation_objects]

    def situation_groups(self) -> list[tuple[str, list]]:
        """The situations' checkboxes grouped as in R-E1 (the three groups of the decree)."""
        by_group: dict[str, list] = {value: [] for value in EligibilitySituation.Group.values}
        for checkbox in self["situations"]:
            situation = self.situation_objects[int(str(checkbox.data["value"]))]
            by_group[situation.group].append(checkbox)
        return [
            (str(EligibilitySituation.Group(group).label), boxes)
            for group, boxes in by_group.items()
            if boxes
        ]

    # --- The page's sections, each rendered by crispy ----------------------------------------
    @cached_property
    def sections(self) -> dict[str, Any]:
        return {
            "duration": fields_helper(
                Row(
                    Column(InlineRadios("duration_months"), css_class="col-md-7"),
                    Column("start_date", css_class="col-md-5"),
                )
            ),
            "recommendations": fields_helper(*self.recommendations_layout()),
            "restrictions": fields_helper(
                Field("restriction_picks", template="forms/crispy/chips.html"),
                Field("restrictions_text", wrapper_class="mb-0"),
            ),
            "assessment": fields_helper(
                *(
                    Field(name, template="prescriptions/crispy/assessment_row.html")
                    for name in ASSESSMENT_FUNCTIONS
                )
            ),
            "confirmed_level": fields_helper(Field("confirmed_level", wrapper_class="mb-2")),
            "physician": fields_helper(
                InlineRadios("physician_renewal_required"),
                Div(
                    Field("physician_renewal_reason", wrapper_class="mb-0"), css_id="renewal-reason"
                ),
            ),
            "agreement": fields_helper(Field("patient_agreement", wrapper_class="mb-0")),
            "situations": fields_helper(
                Field("situations", template="forms/crispy/situations.html")
            ),
        }

    # --- What the services take ----------------------------------------------------------
    def content(self) -> PrescriptionContent:
        data = self.cleaned_data
        return PrescriptionContent(
            **{name: data[name] for name in PrescriptionContent.field_names()}
        )

    def computed_level(self) -> int | None:
        """R-L2, on the submitted ratings (None until the three are rated)."""
        data = getattr(self, "cleaned_data", None) or {}
        ratings: list[Any] = [data.get(name) for name in ASSESSMENT_FUNCTIONS]
        if any(value is None for value in ratings):
            return None
        return rules.resulting_level(*ratings)

    def assessment(self) -> AssessmentInput | None:
        """The assessment for the service, or None when the physician has not rated yet.

        Left on "Niveau calculé", the confirmed level is the computed one (R-L2): the physician
        confirms it by saving or signing the page that shows it.
        """
        computed = self.computed_level()
        if computed is None:
            return None
        data = self.cleaned_data
        confirmed = data.get("confirmed_level")
        return AssessmentInput(
            **{name: data[name] for name in ASSESSMENT_FUNCTIONS},
            severe_indicators=data.get("severe_indicators") or [],
            confirmed_level=computed if confirmed is None else confirmed,
        )

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


def _day(value) -> str:
    return formats.date_format(value, "d/m/Y")


class CancelForm(BootstrapFormMixin, forms.Form):
    cancel_reason = forms.CharField(
        label=_("Motif de l'annulation"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire pour annuler une prescription émise."),
    )
