"""The physiotherapist's journey (CSP D.1172-2-1): find the prescription the patient brings,
renew or adapt it once, and let the prescriber see what changed.

- `/prescriptions/lookup/`: reference + patient's birth date (or the QR code + birth date) grant
  a physiotherapist access to that one prescription; wrong tries reveal nothing and are
  throttled per user and per IP address.
- `/prescriptions/<id>/renewal/`: the renewal or adaptation form; every refusal of R-R1 to R-R5
  is explained on the page, before anything is typed.
- `/prescriptions/<id>/changes/`: the initial recommendations and the physiotherapist's, side by
  side; the prescriber opening it marks the renewal as read (R-R7).
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from audit.models import ReadAudit
from audit.services import audit_read, client_ip
from notifications.services import renewal_mark_read_by_prescriber
from patients.models import CareTeamGrant
from patients.services import care_team_grant

from .models import Prescription, Renewal
from .renewal_forms import LookupForm, RenewalForm
from .selectors import prescription_get_for
from .services import prescription_renew, renewal_refusal

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
MSG_LOOKUP_NOT_PHYSIOTHERAPIST = _(
    "La recherche d'une prescription par sa référence est réservée aux masseurs-"
    "kinésithérapeutes, qui peuvent la renouveler ou l'adapter une fois (art. D. 1172-2-1 du "
    "CSP). Les médecins retrouvent les prescriptions dans le dossier de leurs patients."
)
MSG_LOOKUP_FOUND = _(
    "Prescription %(reference)s retrouvée : vous avez désormais accès à cette prescription."
)
MSG_RENEWAL_RECORDED = _("Renouvellement enregistré. Le médecin prescripteur en est informé.")
MSG_ADAPTATION_RECORDED = _("Adaptation enregistrée. Le médecin prescripteur en est informé.")

# What a physiotherapist may look up: signed prescriptions (never a draft nor a cancelled one).
LOOKUP_STATUSES = (
    Prescription.Status.ISSUED,
    Prescription.Status.RENEWED,
    Prescription.Status.ADAPTED,
    Prescription.Status.EXPIRED,
)


# --- Look-up -----------------------------------------------------------------------------------
def _failure_keys(request: HttpRequest) -> list[str]:
    return [
        f"apa:lookup-failures:user:{request.user.pk}",
        f"apa:lookup-failures:ip:{client_ip(request) or 'unknown'}",
    ]


def _lookup_throttled(request: HttpRequest) -> bool:
    counts = cache.get_many(_failure_keys(request))
    return any(count >= settings.APA_LOOKUP_MAX_FAILURES for count in counts.values())


def _record_lookup_failure(request: HttpRequest) -> None:
    """Count a failure per user and per IP for a fixed window; log it without any patient data."""
    window = settings.APA_LOOKUP_WINDOW_SECONDS
    counts = []
    for key in _failure_keys(request):
        cache.add(key, 0, timeout=window)  # the window starts at the first failure
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)
            counts.append(1)
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
        .filter(reference=reference, patient__birth_date=birth_date, status__in=LOOKUP_STATUSES)
        .first()
    )
    if prescription is None:
        return None
    if code and not secrets.compare_digest(code, prescription.verification_code):
        return None
    return prescription


def prescription_lookup(request: HttpRequest) -> HttpResponse:
    """A physiotherapist finds the prescription the patient brings (reference + birth date)."""
    if not request.user.is_physiotherapist:
        return render(
            request,
            "prescriptions/lookup_forbidden.html",
            {"message": MSG_LOOKUP_NOT_PHYSIOTHERAPIST},
            status=403,
        )
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
                care_team_grant(
                    patient=prescription.patient,
                    user=request.user,
                    reason=CareTeamGrant.Reason.LOOKUP,
                    prescription=prescription,
                )
                audit_read(
                    request, action=ReadAudit.Action.PRESCRIPTION_LOOKUP, prescription=prescription
                )
                messages.success(request, MSG_LOOKUP_FOUND % {"reference": prescription.reference})
                return redirect(prescription.get_absolute_url())
    else:
        reference, code = request.GET.get("ref", ""), request.GET.get("code", "")
        form = LookupForm(
            initial={"reference": reference, "code": code}, from_qr_code=bool(reference and code)
        )
    return render(request, "prescriptions/lookup.html", {"form": form})


# --- Renewal or adaptation ---------------------------------------------------------------------
def _render_refusal(
    request: HttpRequest, prescription: Prescription, refusal: ValidationError
) -> HttpResponse:
    """The page that explains why the renewal is not possible, with no form."""
    status = 403 if not request.user.is_physiotherapist else 200
    context = {"prescription": prescription, "refusal_messages": refusal.messages}
    return render(request, "prescriptions/renewal_refused.html", context, status=status)


def renewal_create(request: HttpRequest, pk) -> HttpResponse:
    """R-R1 to R-R6: the one renewal or adaptation of a prescription by a physiotherapist."""
    prescription = prescription_get_for(
        request, pk, audit=ReadAudit.Action.PRESCRIPTION_VIEW if request.method == "GET" else None
    )
    today = timezone.localdate()
    refusal = renewal_refusal(prescription=prescription, physiotherapist=request.user, today=today)
    if refusal is not None:
        return _render_refusal(request, prescription, refusal)

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
        form = RenewalForm(initial=RenewalForm.initial_for(prescription))
    context = {"prescription": prescription, "form": form, "physiotherapist": request.user}
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
            _("%(n)s séance(s) par semaine") % {"n": source.sessions_per_week}
            if source.sessions_per_week
            else ""
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


def renewal_changes(request: HttpRequest, pk) -> HttpResponse:
    """R-R7: what the physiotherapist changed, beside the initial prescription."""
    prescription = prescription_get_for(request, pk)
    try:
        renewal = prescription.renewal
    except Renewal.DoesNotExist:
        raise Http404("No renewal") from None
    newly_read = renewal_mark_read_by_prescriber(renewal=renewal, user=request.user)
    context = {
        "prescription": prescription,
        "renewal": renewal,
        "rows": renewal_comparison(prescription, renewal),
        "newly_read": newly_read,
    }
    return render(request, "prescriptions/renewal_changes.html", context)
