"""The physiotherapist's journey (CSP D.1172-2-1): find the prescription the patient brings,
renew or adapt it once, and let the prescriber see what changed.

- `/prescriptions/lookup/`: reference + patient's birth date (or the QR code + birth date) grant
  a physiotherapist access to that one prescription; wrong tries reveal nothing and are
  throttled per user and per IP address.
- `/prescriptions/<id>/renewal/`: the renewal or adaptation form; every refusal of R-R1 to R-R5
  is explained on the page, before anything is typed.
- `/prescriptions/<id>/changes/`: the initial recommendations and the physiotherapist's, side by
  side. Opening it changes nothing; the prescriber marks the renewal read with the page's
  « Marquer comme lu » button (`/prescriptions/<id>/changes/read/`, POST with CSRF, R-R7): a
  cross-site link cannot clear the prescriber's unread signal.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audit.models import ReadAudit
from audit.services import audit_read
from kernel import wording
from kernel.http import client_ip
from kernel.throttle import throttle_counts, throttle_hit, throttle_refund
from practitioners.http import AuthenticatedRequest

from . import access, rules
from .models import Prescription, PrescriptionAccess, Renewal, RiskBasis
from .renewal_forms import LookupForm, RenewalForm
from .selectors import prescription_get_visible
from .services import (
    prescription_access_grant,
    prescription_access_revoke,
    prescription_renew,
    renewal_mark_read,
    renewal_refusal,
    renewal_risk_case,
)

logger = logging.getLogger("prescriptions.lookup")

MSG_LOOKUP_NO_MATCH = _(
    "Aucune prescription ne correspond à ces informations. Vérifiez la référence et la date de "
    "naissance du patient telles qu'elles figurent sur le formulaire qu'il vous a remis."
)
MSG_LOOKUP_THROTTLED = _(
    "Trop de tentatives infructueuses : par sécurité, la recherche de prescription est "
    "suspendue pendant %(minutes)s minutes. Réessayez plus tard ou demandez au patient son "
    "formulaire original."
)
MSG_LOOKUP_FOUND = _(
    "Prescription %(reference)s retrouvée : vous avez désormais accès à cette prescription."
)
MSG_RENEWAL_RECORDED = _("Renouvellement enregistré. Le médecin prescripteur en est informé.")
MSG_ADAPTATION_RECORDED = _("Adaptation enregistrée. Le médecin prescripteur en est informé.")
MSG_MARKED_READ = _("Marqué comme lu.")
MSG_ACCESS_ENDED = _("L'accès de %(name)s à la prescription %(reference)s a pris fin.")
MSG_MARK_READ_NOT_PRESCRIBER = _(
    "Seul le médecin prescripteur peut marquer ce renouvellement comme lu."
)


# --- Look-up -----------------------------------------------------------------------------------
def _failure_keys(request: AuthenticatedRequest) -> list[str]:
    return [
        f"apa:lookup-failures:user:{request.user.pk}",
        f"apa:lookup-failures:ip:{client_ip(request) or 'unknown'}",
    ]


def _lookup_throttled(request: AuthenticatedRequest) -> bool:
    """Count this look-up against the user's and the IP's budgets, then say whether it is over
    (increment then check, atomically: concurrent wrong look-ups cannot slip through together).
    A look-up that is not a failure gives its count back (`_lookup_not_a_failure`)."""
    return throttle_hit(
        _failure_keys(request),
        limit=settings.APA_LOOKUP_MAX_FAILURES,
        window=settings.APA_LOOKUP_WINDOW_SECONDS,
    )


def _lookup_not_a_failure(request: AuthenticatedRequest) -> None:
    throttle_refund(_failure_keys(request), window=settings.APA_LOOKUP_WINDOW_SECONDS)


def _record_lookup_failure(request: AuthenticatedRequest) -> None:
    """The failure was counted by `_lookup_throttled`: log it without any patient data."""
    counts = throttle_counts(_failure_keys(request)).values()
    logger.warning(
        "Prescription look-up failed: user_id=%s ip=%s failures_user=%s failures_ip=%s",
        request.user.pk,
        client_ip(request),
        *counts,
    )


def _prescription_matching(*, reference: str, birth_date: date, code: str) -> Prescription | None:
    """The signed prescription with this reference for a patient born on `birth_date`, or None.

    Not scoped to the user on purpose: proving the reference and the birth date (and the code of
    the QR code, when given) is what grants the access.
    """
    prescription = (
        Prescription.objects.select_related("patient")
        .filter(
            reference=reference,
            patient__birth_date=birth_date,
            # A signed prescription only, never a draft nor a cancelled one.
            status__in=Prescription.SIGNED_STATUSES,
            # Nor one whose look-up accesses have ended (withdrawn: above; ended longer ago
            # than APA_GRANT_DAYS_AFTER_END): the reference does not reopen it.
            current_end_date__gte=timezone.localdate()
            - timedelta(days=settings.APA_GRANT_DAYS_AFTER_END),
        )
        .first()
    )
    if prescription is None:
        return None
    if code and not secrets.compare_digest(code, prescription.verification_code):
        return None
    return prescription


def prescription_lookup(request: AuthenticatedRequest) -> HttpResponse:
    """A physiotherapist finds the prescription the patient brings (reference + birth date)."""
    if not access.may_look_up(request.user):
        raise PermissionDenied(access.MSG_LOOKUP_NOT_PHYSIOTHERAPIST)
    throttled_message = MSG_LOOKUP_THROTTLED % {
        "minutes": max(1, settings.APA_LOOKUP_WINDOW_SECONDS // 60)
    }
    if request.method == "POST":
        form = LookupForm(request.POST, from_qr_code=bool(request.POST.get("code")))
        if _lookup_throttled(request):
            # Refused even when correct: the limit is the point.
            logger.warning(
                "Prescription look-up refused (throttled): user_id=%s ip=%s",
                request.user.pk,
                client_ip(request),
            )
            context = {"form": form, "throttled_message": throttled_message}
            return render(request, "prescriptions/lookup.html", context, status=429)
        if form.is_valid():
            prescription = _prescription_matching(
                reference=form.cleaned_data["reference"],
                birth_date=form.cleaned_data["birth_date"],
                code=form.cleaned_data["code"],
            )
            if prescription is None:
                _record_lookup_failure(request)
                form.add_error(None, MSG_LOOKUP_NO_MATCH)
            else:
                _lookup_not_a_failure(request)
                prescription_access_grant(prescription=prescription, user=request.user)
                audit_read(
                    request, action=ReadAudit.Action.PRESCRIPTION_LOOKUP, prescription=prescription
                )
                messages.success(request, MSG_LOOKUP_FOUND % {"reference": prescription.reference})
                return redirect(prescription.get_absolute_url())
        else:
            _lookup_not_a_failure(request)  # refused by the form: nothing was looked up
    else:
        reference, code = request.GET.get("ref", ""), request.GET.get("code", "")
        form = LookupForm(
            initial={"reference": reference, "code": code}, from_qr_code=bool(reference and code)
        )
    return render(request, "prescriptions/lookup.html", {"form": form})


# --- Renewal or adaptation ---------------------------------------------------------------------
def _render_refusal(
    request: AuthenticatedRequest, prescription: Prescription, refusal: ValidationError
) -> HttpResponse:
    """The page that explains to a physiotherapist why the renewal is not possible, with no
    form; anyone else is refused."""
    if not request.user.is_physiotherapist:
        raise PermissionDenied(" ".join(refusal.messages))
    context = {"prescription": prescription, "refusal_messages": refusal.messages}
    return render(request, "prescriptions/renewal_refused.html", context)


def renewal_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    """R-R1 to R-R6: the one renewal or adaptation of a prescription by a physiotherapist."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    audit_read(request, action=ReadAudit.Action.PRESCRIPTION_VIEW, prescription=prescription)
    today = timezone.localdate()
    risk_case = renewal_risk_case(prescription)  # R-R5
    refusal = renewal_refusal(
        prescription=prescription, physiotherapist=request.user, today=today, risk_case=risk_case
    )
    if refusal is not None:
        return _render_refusal(request, prescription, refusal)
    recorded_no_risk = risk_case[0] == RiskBasis.RECORDED_NO_RISK

    if request.method == "POST":
        form = RenewalForm(request.POST)
        if form.is_valid():
            try:
                renewal = prescription_renew(
                    prescription=prescription,
                    physiotherapist=request.user,
                    today=today,
                    **form.service_arguments(),
                )
            except ValidationError as exc:
                # Someone renewed it meanwhile (R-R2): explain it as if the page had just loaded.
                refusal = renewal_refusal(
                    prescription=prescription, physiotherapist=request.user, today=today
                )
                if refusal is not None:
                    return _render_refusal(request, prescription, refusal)
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    MSG_ADAPTATION_RECORDED
                    if renewal.kind == Renewal.Kind.ADAPTATION
                    else MSG_RENEWAL_RECORDED,
                )
                return redirect(prescription.get_absolute_url())
    else:
        initial = RenewalForm.initial_for(prescription)
        if recorded_no_risk:  # R-R5: the recorded bilans say so; the attestation is prefilled
            initial["no_risk_attestation"] = True
        form = RenewalForm(initial=initial)
    context = {
        "prescription": prescription,
        "form": form,
        "physiotherapist": request.user,
        # The new period for each duration, shown before signing (as the service computes it).
        "periods": [
            (
                months,
                *rules.renewal_period(
                    initial_end=prescription.end_date, performed_on=today, months=months
                ),
            )
            for months, _label in rules.DURATION_CHOICES
        ],
        "recorded_no_risk": recorded_no_risk,
    }
    return render(request, "prescriptions/renewal_form.html", context)


# --- What changed ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComparisonRow:
    label: str
    initial: str
    new: str

    @property
    def changed(self) -> bool:
        return self.initial != self.new


def _recommendation_values(source) -> dict[str, str]:
    return {
        "activity_types": ", ".join(source.activity_type_labels),
        "sessions_per_week": (
            wording.sessions_per_week(source.sessions_per_week) if source.sessions_per_week else ""
        ),
        "intensity": source.get_intensity_display() if source.intensity else "",
        "session_minutes": (
            _("%(n)s minutes") % {"n": source.session_minutes} if source.session_minutes else ""
        ),
        "recommendations_text": source.recommendations_text,
    }


def _period(start: date, end: date) -> str:
    return _("du %(start)s au %(end)s") % {
        "start": formats.date_format(start, "d/m/Y"),
        "end": formats.date_format(end, "d/m/Y"),
    }


def renewal_comparison(prescription: Prescription, renewal: Renewal) -> list[ComparisonRow]:
    """The initial recommendations and those in force after the renewal, row by row.

    A renewal keeps the initial recommendations (R-R2); an adaptation replaces them.
    """
    initial = _recommendation_values(prescription)
    new = initial if renewal.kind == Renewal.Kind.RENEWAL else _recommendation_values(renewal)
    labels = {
        "activity_types": _("Types d'activité"),
        "sessions_per_week": _("Fréquence"),
        "intensity": _("Intensité"),
        "session_minutes": _("Durée d'une séance"),
        "recommendations_text": _("Préconisations (texte libre)"),
    }
    rows = [ComparisonRow(str(labels[name]), initial[name], new[name]) for name in labels]
    rows.append(
        ComparisonRow(
            str(_("Durée de la prescription")),
            str(_("%(n)s mois") % {"n": prescription.duration_months}),
            str(_("%(n)s mois") % {"n": renewal.duration_months}),
        )
    )
    rows.append(
        ComparisonRow(
            str(_("Période")),
            str(_period(prescription.start_date, prescription.end_date)),
            str(_period(renewal.start_date, renewal.end_date)),
        )
    )
    return rows


def _renewal_of(prescription: Prescription) -> Renewal:
    try:
        return prescription.renewal
    except Renewal.DoesNotExist:
        raise Http404("No renewal") from None


def renewal_changes(request: AuthenticatedRequest, pk) -> HttpResponse:
    """R-R7: what the physiotherapist changed, beside the initial prescription. A read only:
    the renewal stays unread until the prescriber presses « Marquer comme lu »."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    renewal = _renewal_of(prescription)
    audit_read(request, action=ReadAudit.Action.PRESCRIPTION_VIEW, prescription=prescription)
    context = {
        "prescription": prescription,
        "renewal": renewal,
        "rows": renewal_comparison(prescription, renewal),
        "may_mark_read": (
            access.is_prescriber(request.user, prescription) and not renewal.prescriber_read_at
        ),
    }
    return render(request, "prescriptions/renewal_changes.html", context)


@require_POST
def renewal_mark_read_view(request: AuthenticatedRequest, pk) -> HttpResponse:
    """R-R7: the prescriber says they have read the renewal (POST with CSRF, never a GET)."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    renewal = _renewal_of(prescription)
    if not access.is_prescriber(request.user, prescription):
        raise PermissionDenied(MSG_MARK_READ_NOT_PRESCRIBER)
    if renewal_mark_read(renewal=renewal, by=request.user):
        messages.success(request, MSG_MARKED_READ)
    return redirect("prescriptions:changes", pk=prescription.pk)


@require_POST
def lookup_access_end(request: AuthenticatedRequest, pk, access_id: int) -> HttpResponse:
    """End a physiotherapist's look-up access from the patient's record (POST with CSRF): the
    physicians of the care team and the structure's admin staff (`access.may_end_access`)."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    patient = prescription.patient
    if not access.may_end_access(request.user, patient):
        raise PermissionDenied(access.MSG_MAY_NOT_END_ACCESS)
    granted = (
        PrescriptionAccess.objects.filter(prescription=prescription, pk=access_id)
        .select_related("user")
        .first()
    )
    if granted is None:
        raise Http404("No such access")
    try:
        prescription_access_revoke(access_grant=granted, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            MSG_ACCESS_ENDED
            % {"name": granted.user.display_name, "reference": prescription.reference},
        )
    return redirect(patient)
