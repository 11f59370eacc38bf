"""Forms of group programmes: plain forms (the services validate and save)."""

from typing import TYPE_CHECKING, Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bilans.forms import ProgressReportForm
from kernel.forms import BootstrapFormMixin
from patients.forms import date_field, situation_checkbox_groups
from patients.models import EligibilitySituation
from practitioners.models import DISPENSER_PROFESSIONS, Profession, Structure, User
from prescriptions.rules import LimitationLevel

from . import rules
from .access import may_coordinate
from .models import Offer, Slot
from .services import MSG_POSTAL_CODE, OfferInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EnrolForm(BootstrapFormMixin, forms.Form):
    goals = forms.CharField(
        label=_("Objectifs fixés lors de la consultation individuelle initiale"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefuseForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=500)


class EndForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Motif de sortie"), max_length=500, required=False)


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=200)


class FollowUpForm(BootstrapFormMixin, forms.Form):
    """R-G4 recorded as a compte rendu (R-B2): the consultation's effects and adjusted goals,
    then the compte rendu's own fields as the bilans' form has them (same labels, choices and
    bounds)."""

    effects = forms.CharField(
        label=_("Effets physiques et psychologiques constatés"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    adjusted_goals = forms.CharField(
        label=_("Objectifs ajustés"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    tolerance = ProgressReportForm.base_fields["tolerance"]
    share_agreement = ProgressReportForm.base_fields["share_agreement"]
    risk_flag = ProgressReportForm.base_fields["risk_flag"]
    risk_description = ProgressReportForm.base_fields["risk_description"]


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Fichier CSV des offres"))


# --- Publishing and editing an offer ---------------------------------------------------------
MSG_BAD_CHOICE = _("Choix invalide : sélectionnez une des options proposées.")
MSG_NOT_OF_STRUCTURE = _(
    "Choisissez parmi les professionnels en activité de la structure qui publie le programme."
)
MSG_MINUTES = _("Une séance dure de 15 à 240 minutes.")
MSG_TIME = _("Indiquez une heure au format hh:mm (par exemple 18:00).")
MSG_SLOTS_TAMPERED = _(
    "Les créneaux envoyés sont incomplets ou ont été modifiés : saisissez-les à nouveau."
)


class SlotForm(forms.Form):
    """A weekly créneau: a weekday, a local start time, a duration (R-G3)."""

    weekday = forms.TypedChoiceField(
        label=_("Jour"),
        choices=Slot.Weekday.choices,
        coerce=int,
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    start_time = forms.TimeField(
        label=_("Heure de début"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": MSG_TIME},
    )
    minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        initial=60,
        widget=forms.NumberInput(attrs={"min": 15, "max": 240, "step": 5}),
        error_messages={"min_value": MSG_MINUTES, "max_value": MSG_MINUTES},
        # Slot's constraint (slot_weekday_and_minutes), told before the database does.
        min_value=15,
        max_value=240,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()
        # Marked as crispy marks the other fields: red, invalid, tied to its message.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] += " is-invalid"
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    def weekly_slot(self) -> rules.WeeklySlot:
        data = self.cleaned_data
        return rules.WeeklySlot(data["weekday"], data["start_time"], data["minutes"])


class BaseSlotFormSet(forms.BaseFormSet):
    """Exactly the créneaux R-G3 asks (two a week); a tampered management form is a clear
    message, never a 500 (Django caps the forms at `absolute_max`)."""

    default_error_messages = {
        "missing_management_form": MSG_SLOTS_TAMPERED,
        "too_many_forms": rules.MSG_SESSIONS_PER_WEEK,
        "too_few_forms": rules.MSG_SESSIONS_PER_WEEK,
    }


SlotFormSet = forms.formset_factory(
    SlotForm,
    formset=BaseSlotFormSet,
    extra=0,
    min_num=rules.SESSIONS_PER_WEEK,
    max_num=rules.SESSIONS_PER_WEEK,
    absolute_max=rules.SESSIONS_PER_WEEK,
    validate_min=True,
    validate_max=True,
)


class OfferForm(BootstrapFormMixin, forms.Form):
    """An offer of group programme and its créneaux (a formset, `form.slots`). Parses only:
    `services.offer_create` / `offer_update` decide (R-G2, R-G3, R-G5, R-O1) and their errors
    are placed by field (`add_service_errors`), those of the créneaux above the créneaux."""

    SLOTS_PREFIX = "slots"

    title = forms.CharField(label=_("Intitulé"), max_length=200)
    activity = forms.CharField(
        label=_("Activité"),
        max_length=200,
        help_text=_("Par exemple : marche nordique, renforcement musculaire, gym douce."),
    )
    situations = forms.TypedMultipleChoiceField(
        label=_("Pathologies et situations accueillies"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucune case cochée : le programme accueille toutes les situations."),
        error_messages={"invalid_choice": MSG_BAD_CHOICE},
    )
    levels = forms.TypedMultipleChoiceField(
        label=_("Limitations fonctionnelles accueillies"),
        coerce=int,
        choices=LimitationLevel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Chaque niveau coché doit pouvoir être encadré par un des intervenants : une "
            "limitation sévère ne l'est que par un professionnel de santé (art. D. 1172-3 du "
            "CSP)."
        ),
        error_messages={"required": rules.MSG_NO_LEVEL, "invalid_choice": MSG_BAD_CHOICE},
    )
    supervisors = forms.TypedMultipleChoiceField(
        label=_("Intervenants"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": rules.MSG_NO_SUPERVISOR,
            "invalid_choice": MSG_NOT_OF_STRUCTURE,
        },
    )
    coordinator = forms.TypedChoiceField(
        label=_("Coordinateur"),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": MSG_NOT_OF_STRUCTURE},
    )
    place = forms.CharField(label=_("Lieu des séances"), max_length=250)
    postal_code = forms.CharField(
        label=_("Code postal"),
        max_length=5,
        min_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        error_messages={"max_length": MSG_POSTAL_CODE, "min_length": MSG_POSTAL_CODE},
    )
    start_date = date_field(_("Début du programme"))
    end_date = date_field(_("Fin du programme"), help_text=_("De 3 à 9 mois après le début."))
    capacity = forms.IntegerField(
        label=_("Places par séance"),
        initial=rules.DEFAULT_CAPACITY,
        widget=forms.NumberInput(attrs={"min": 1, "max": rules.MAX_CAPACITY}),
        help_text=_("8 patients au plus par séance collective ; la structure peut en fixer moins."),
    )

    def __init__(
        self,
        *args: Any,
        structure: Structure,
        offer: Offer | None = None,
        **kwargs: Any,
    ) -> None:
        data = kwargs.get("data", args[0] if args else None)
        if offer is not None and data is None:
            kwargs.setdefault("initial", self.initial_of(offer))
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.situation_objects = {s.pk: s for s in EligibilitySituation.objects.all()}
        cast(forms.ChoiceField, self.fields["situations"]).choices = [
            (pk, s.label) for pk, s in self.situation_objects.items()
        ]
        # The structure's own members who may run a programme (never every user of every
        # structure, nor a hospital's hundreds of physicians).
        members = list(
            User.objects.filter(
                structure=structure,
                is_active=True,
                profession__in=[Profession.ADMIN_STAFF, *DISPENSER_PROFESSIONS],
            ).order_by("last_name", "first_name", "pk")
        )
        self.supervisor_objects = {u.pk: u for u in members if u.is_dispenser}
        self.coordinator_objects = {u.pk: u for u in members if may_coordinate(u)}
        cast(forms.ChoiceField, self.fields["supervisors"]).choices = [
            (pk, f"{u.display_name} ({u.get_profession_display()})")
            for pk, u in self.supervisor_objects.items()
        ]
        cast(forms.ChoiceField, self.fields["coordinator"]).choices = [
            ("", _("— Aucun —")),
            *((pk, u.display_name) for pk, u in self.coordinator_objects.items()),
        ]
        # Rendered by its own template (forms/crispy/situations.html), which crispy does not style.
        self.fields["situations"].widget.attrs["class"] = "form-check-input"
        initial_slots = None
        if offer is not None and not self.is_bound:
            initial_slots = [
                {"weekday": s.weekday, "start_time": s.start_time, "minutes": s.minutes}
                for s in offer.slots.all()
            ]
        self.slots = SlotFormSet(
            self.data if self.is_bound else None,
            prefix=self.SLOTS_PREFIX,
            initial=initial_slots or [{"minutes": 60}] * rules.SESSIONS_PER_WEEK,
        )
        # The service's errors on the créneaux as a whole (R-G3, R-G5).
        self.slot_errors: list[str] = []

    @staticmethod
    def initial_of(offer: Offer) -> dict[str, Any]:
        return {
            "title": offer.title,
            "activity": offer.activity,
            "situations": [s.pk for s in offer.situations.all()],
            "levels": offer.accepted_levels,
            "supervisors": [u.pk for u in offer.supervisors.all()],
            "coordinator": offer.coordinator_id,
            "place": offer.place,
            "postal_code": offer.postal_code,
            "start_date": offer.start_date,
            "end_date": offer.end_date,
            "capacity": offer.capacity,
        }

    def build_helper(self) -> FormHelper:
        helper = super().build_helper()
        helper.layout = Layout(
            Row(Column("title", css_class="col-md-6"), Column("activity", css_class="col-md-6")),
            Row(
                Column("place", css_class="col-md-6"),
                Column("postal_code", css_class="col-md-2"),
                Column("capacity", css_class="col-md-4"),
            ),
            Row(
                Column("start_date", css_class="col-md-4"),
                Column("end_date", css_class="col-md-4"),
            ),
            "levels",
            "supervisors",
            Row(Column("coordinator", css_class="col-md-6")),
            Field("situations", template="forms/crispy/situations.html"),
        )
        return helper

    # The page's order (and its error summary's).
    field_order = [
        "title",
        "activity",
        "place",
        "postal_code",
        "capacity",
        "start_date",
        "end_date",
        "levels",
        "supervisors",
        "coordinator",
        "situations",
    ]

    def situation_groups(self) -> list[tuple["StrOrPromise", list]]:
        return situation_checkbox_groups(self["situations"], self.situation_objects)

    def is_valid(self) -> bool:
        form_ok = super().is_valid()
        return self.slots.is_valid() and form_ok

    @property
    def has_errors(self) -> bool:
        return bool(
            self.is_bound
            and (
                self.errors or self.slot_error_messages() or any(f.errors for f in self.slots.forms)
            )
        )

    def slot_error_messages(self) -> list[str]:
        """The errors of the créneaux as a whole: the formset's and the service's."""
        if not self.is_bound:
            return []
        if not self.slots.management_form.is_valid():
            # Django then reports too few créneaux: the true reason is clearer.
            return [str(MSG_SLOTS_TAMPERED)]
        return [str(m) for m in self.slots.non_form_errors()] + self.slot_errors

    def shown_slots(self) -> forms.BaseFormSet:
        """The créneaux to show: a tampered formset (other than two rows) is shown fresh."""
        if self.is_bound and (
            not self.slots.management_form.is_valid()
            or len(self.slots.forms) != rules.SESSIONS_PER_WEEK
        ):
            return SlotFormSet(
                prefix=self.SLOTS_PREFIX, initial=[{"minutes": 60}] * rules.SESSIONS_PER_WEEK
            )
        return self.slots

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "slots" in exc.error_dict:
            self.slot_errors += [m for e in exc.error_dict["slots"] for m in e.messages]
            rest = {k: v for k, v in exc.error_dict.items() if k != "slots"}
            if not rest:
                return
            exc = ValidationError(rest)
        super().add_service_errors(exc)

    def error_summary(self) -> list[dict[str, Any]]:
        items = super().error_summary()
        first = f"id_{self.SLOTS_PREFIX}-0-weekday"
        for message in self.slot_error_messages():
            items.append({"anchor": first, "label": str(_("Créneaux")), "message": message})
        if self.is_bound and self.slots.management_form.is_valid():
            for index, slot in enumerate(self.slots.forms, start=1):
                for name, messages in slot.errors.items():
                    if name not in slot.fields:
                        continue
                    label = _("Créneau %(n)s, %(field)s") % {
                        "n": index,
                        "field": str(slot.fields[name].label).lower(),
                    }
                    for message in messages:
                        items.append(
                            {"anchor": slot[name].auto_id, "label": label, "message": str(message)}
                        )
        return items

    # --- What the services take ---------------------------------------------------------
    def offer_input(self) -> OfferInput:
        data = self.cleaned_data
        return OfferInput(
            title=data["title"],
            activity=data["activity"],
            levels=list(data["levels"]),
            place=data["place"],
            postal_code=data["postal_code"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            slots=[slot.weekly_slot() for slot in self.slots.forms],
            capacity=data["capacity"],
        )

    def selected_supervisors(self) -> list[User]:
        return [self.supervisor_objects[pk] for pk in self.cleaned_data["supervisors"]]

    def selected_coordinator(self) -> User | None:
        pk = self.cleaned_data["coordinator"]
        return None if pk is None else self.coordinator_objects[pk]

    def selected_situations(self) -> list[EligibilitySituation]:
        return [self.situation_objects[pk] for pk in self.cleaned_data["situations"]]
