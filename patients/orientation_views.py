"""Orientation of a patient to an APA professional (a dispenser of CSP D.1172-2), and the
dispenser's own list « Mes patients orientés ».

R-L4 (binding) and R-L5 (editable table) decide who may supervise the patient's confirmed
limitation level; the services enforce them, the pages only show them.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apa_portal.forms import BootstrapFormMixin
from audit.models import ReadAudit
from audit.services import audit_read
from practitioners.models import DISPENSER_PROFESSIONS, User
from prescriptions.rules import LimitationLevel
from prescriptions.selectors import (
    orientations_of,
    patient_limitation_level,
    patients_oriented_to,
    supervisable_levels,
    supervising_professions,
)

from .models import CareTeamGrant
from .selectors import patient_get_for, user_may_orient
from .services import MSG_ORIENT_NO_LEVEL, patient_orient, patient_orientation_revoke

PAGE_SIZE = 50
MSG_NOT_DISPENSER_PAGE = gettext_lazy(
    "Cette page liste les patients orientés vers un intervenant en activité physique adaptée : "
    "elle est réservée aux intervenants (art. D. 1172-2 du CSP)."
)


class DispenserChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, supervising: frozenset[str], **kwargs) -> None:
        self.supervising = supervising
        super().__init__(*args, **kwargs)

    def label_from_instance(self, user: User) -> str:
        where = f" · {user.structure}" if user.structure_id else ""
        verdict = (
            _("peut encadrer ce niveau")
            if user.profession in self.supervising
            else _("ne peut pas encadrer ce niveau")
        )
        return f"{user.display_name} · {user.get_profession_display()}{where} — {verdict}"


class OrientationForm(BootstrapFormMixin, forms.Form):
    def __init__(self, *args, supervising: frozenset[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["professional"] = DispenserChoiceField(
            label=gettext_lazy("Intervenant en APA"),
            queryset=User.objects.filter(
                is_active=True, profession__in=sorted(DISPENSER_PROFESSIONS)
            )
            .select_related("structure")
            .order_by("last_name", "first_name"),
            empty_label=gettext_lazy("Choisissez un intervenant"),
            help_text=gettext_lazy(
                "Une limitation sévère ne peut être encadrée que par un professionnel de santé "
                "(masseur-kinésithérapeute, ergothérapeute, psychomotricien) ; pour les autres "
                "niveaux, le tableau d'encadrement de la structure s'applique."
            ),
            supervising=supervising,
        )
        self.fields["professional"].widget.attrs["class"] = "form-select"


def patient_orientation(request: HttpRequest, pk) -> HttpResponse:
    """The patient's current orientations; a physician or admin of the structure orients."""
    patient = patient_get_for(request, pk, audit=None)
    if not user_may_orient(request.user, patient):
        raise PermissionDenied
    if request.method == "GET":
        audit_read(
            request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="orientation"
        )
    level = patient_limitation_level(patient)
    supervising = frozenset(supervising_professions(level)) if level is not None else frozenset()
    form = OrientationForm(
        request.POST if request.method == "POST" else None, supervising=supervising
    )
    if request.method == "POST" and form.is_valid():
        try:
            patient_orient(
                patient=patient, professional=form.cleaned_data["professional"], by=request.user
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("Le patient est orienté vers %(name)s.")
                % {"name": form.cleaned_data["professional"].display_name},
            )
            return redirect("patients:orientation", pk=patient.pk)
    context = {
        "patient": patient,
        "level": level,
        "level_label": LimitationLevel(level).label if level is not None else None,
        "no_level_message": MSG_ORIENT_NO_LEVEL,
        "orientations": orientations_of(patient),
        "form": form,
    }
    return render(request, "patients/orientation.html", context, status=400 if form.errors else 200)


@require_POST
def orientation_end(request: HttpRequest, pk, grant_id: int) -> HttpResponse:
    patient = patient_get_for(request, pk, audit=None)
    if not user_may_orient(request.user, patient):
        raise PermissionDenied
    grant = get_object_or_404(
        CareTeamGrant,
        pk=grant_id,
        patient=patient,
        reason=CareTeamGrant.Reason.ORIENTATION,
        revoked_at__isnull=True,
    )
    try:
        patient_orientation_revoke(grant=grant, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("L'orientation vers %(name)s a pris fin.") % {"name": grant.user}
        )
    return redirect("patients:orientation", pk=patient.pk)


def supervised_patients(request: HttpRequest) -> HttpResponse:
    """« Mes patients orientés »: the dispenser's patients with their limitation level and
    whether the dispenser may supervise it (R-L4, R-L5). Never the NIR."""
    if not request.user.is_dispenser:
        return render(request, "403.html", {"message": MSG_NOT_DISPENSER_PAGE}, status=403)
    # Queries: the page of patients with their level (one subquery), its count, the rules.
    page = Paginator(patients_oriented_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    levels = supervisable_levels(request.user)
    rows = [
        {
            "patient": patient,
            "level": patient.limitation_level,
            "level_label": (
                LimitationLevel(patient.limitation_level).label
                if patient.limitation_level is not None
                else None
            ),
            "may_supervise": patient.limitation_level in levels,
            "severe": patient.limitation_level == LimitationLevel.SEVERE,
        }
        for patient in page
    ]
    return render(request, "patients/supervised.html", {"page": page, "rows": rows})
