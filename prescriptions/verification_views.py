"""The public verification page (`/verifier/`, no login): anyone holding a printed form (an
insurer, a sports educator, the patient) checks that it is authentic and whether it is valid.
The bilans and comptes rendus the apps above issue (R-B4) are checked on the same page: it asks
them through `events.document_verification_requested` when no prescription answers.

It takes the reference and the verification code printed on the form (the QR code carries both
in the page's address) and answers only: authentic or not, valid or not, the status and the
dates. Never a name, never health data (R-P4: the form is dated and signed; the page says when).
A wrong code gets the same answer as an unknown reference, and failures are throttled with the
physiotherapist look-up's limits (on `kernel.throttle`), so that the page cannot be used to guess
codes. Each answer is logged without patient data: a `ReadAudit` row needs a user, which an
anonymous visitor is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from kernel.codes import code_matches
from kernel.http import client_ip
from kernel.throttle import throttle_counts, throttle_hit, throttle_refund

from .events import VerifiedDocument, document_verification_requested
from .models import Prescription, Renewal
from .verification_forms import VerificationForm

logger = logging.getLogger("prescriptions.verification")

MSG_VERIFY_NO_MATCH = _(
    "Aucun formulaire ne correspond à cette référence et à ce code de vérification. Vérifiez-les "
    "tels qu'ils sont imprimés en haut du formulaire : un formulaire dont la référence ou le code "
    "ne sont pas reconnus n'a pas été émis par APA Portal."
)
MSG_VERIFY_THROTTLED = _(
    "Trop de vérifications infructueuses : par sécurité, la vérification est suspendue pendant "
    "%(minutes)s minutes. Réessayez plus tard."
)
# What a printed form may be: a draft is never printed as valid (it is watermarked), so a draft's
# reference, or a draft's that was cancelled before it was ever signed, gets the answer of an
# unknown one.
VERIFIABLE_STATUSES = (
    Prescription.Status.ISSUED,
    Prescription.Status.RENEWED,
    Prescription.Status.ADAPTED,
    Prescription.Status.EXPIRED,
    Prescription.Status.CANCELLED,
)
ACTIVE_STATUSES = (
    Prescription.Status.ISSUED,
    Prescription.Status.RENEWED,
    Prescription.Status.ADAPTED,
)


# --- The throttle: the look-up's limits, on the kernel's throttle -----------------------------
def _failure_keys(request: HttpRequest) -> list[str]:
    """Per client address, and per account when someone is logged in (an anonymous visitor has
    no account to count: never one key shared by every visitor)."""
    keys = [f"apa:verify-failures:ip:{client_ip(request) or 'unknown'}"]
    if request.user.is_authenticated:
        keys.append(f"apa:verify-failures:user:{request.user.pk}")
    return keys


def _verification_throttled(request: HttpRequest) -> bool:
    """Count this attempt, then say whether it is over the limit (atomically, as the look-up)."""
    return throttle_hit(
        _failure_keys(request),
        limit=settings.APA_LOOKUP_MAX_FAILURES,
        window=settings.APA_LOOKUP_WINDOW_SECONDS,
    )


def _not_a_failure(request: HttpRequest) -> None:
    throttle_refund(_failure_keys(request), window=settings.APA_LOOKUP_WINDOW_SECONDS)


def _record_verification_failure(request: HttpRequest) -> None:
    """The failure was counted by `_verification_throttled`: log it without any patient data."""
    logger.warning(
        "Prescription verification failed: user_id=%s ip=%s failures=%s",
        request.user.pk,
        client_ip(request),
        list(throttle_counts(_failure_keys(request)).values()),
    )


# --- The answer ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    """What the page may say of a form: no name, no health data."""

    reference: str
    status_label: str
    valid: bool
    issued_on: date
    start: date
    end: date
    renewal_label: str  # "Renouvelée" / "Adaptée" by the physiotherapist, or ""
    renewal_on: date | None
    renewal_end: date | None
    cancelled_on: date | None


def _verification(*, reference: str, code: str, today: date) -> Verification | None:
    """The answer for this reference and code, or None (unknown reference, or wrong code)."""
    prescription = (
        Prescription.objects.filter(
            reference=reference, status__in=VERIFIABLE_STATUSES, issued_at__isnull=False
        )
        .only(
            "reference",
            "verification_code",
            "status",
            "issued_at",
            "start_date",
            "end_date",
            "current_end_date",
            "cancelled_at",
        )
        .first()
    )
    expected = prescription.verification_code if prescription is not None else None
    if not code_matches(expected, code) or prescription is None:
        return None
    renewal = None
    if prescription.status in (Prescription.Status.RENEWED, Prescription.Status.ADAPTED):
        renewal = (
            Renewal.objects.filter(prescription_id=prescription.pk)
            .only("kind", "performed_on", "end_date")
            .first()
        )
    status = Prescription.Status(prescription.status)
    return Verification(
        reference=prescription.reference,
        status_label=str(status.label),
        valid=status in ACTIVE_STATUSES and today <= prescription.current_end_date,
        issued_on=timezone.localdate(prescription.issued_at),
        start=prescription.start_date,
        end=prescription.end_date,
        renewal_label=str(renewal.get_kind_display()) if renewal else "",
        renewal_on=renewal.performed_on if renewal else None,
        renewal_end=renewal.end_date if renewal else None,
        cancelled_on=timezone.localdate(prescription.cancelled_at)
        if prescription.cancelled_at
        else None,
    )


def _document_verification(*, reference: str, code: str) -> VerifiedDocument | None:
    """R-B4: the answer of the apps above (a bilan, a compte rendu) for this pair, or None."""
    for _receiver, answer in document_verification_requested.send(
        sender=Prescription, reference=reference, code=code
    ):
        if isinstance(answer, VerifiedDocument):
            return answer
    return None


@login_not_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Check a printed form: the reference and the code typed, or carried by the QR code."""
    if request.method == "POST":
        form = VerificationForm(request.POST)
    elif request.GET.get("ref") or request.GET.get("code"):
        # The QR code's address: the reference and the code, already printed on the paper.
        form = VerificationForm(
            {"reference": request.GET.get("ref", ""), "code": request.GET.get("code", "")}
        )
    else:
        return render(request, "prescriptions/verify.html", {"form": VerificationForm()})

    context: dict[str, object] = {"form": form}
    if _verification_throttled(request):
        # Refused even when correct: the limit is the point.
        logger.warning(
            "Prescription verification refused (throttled): user_id=%s ip=%s",
            request.user.pk,
            client_ip(request),
        )
        context["throttled_message"] = MSG_VERIFY_THROTTLED % {
            "minutes": max(1, settings.APA_LOOKUP_WINDOW_SECONDS // 60)
        }
        return render(request, "prescriptions/verify.html", context, status=429)
    if not form.is_valid():
        _not_a_failure(request)  # refused before any reference was tried
        return render(request, "prescriptions/verify.html", context)

    answer = _verification(
        reference=form.cleaned_data["reference"],
        code=form.cleaned_data["code"],
        today=timezone.localdate(),
    )
    if answer is None:
        document = _document_verification(
            reference=form.cleaned_data["reference"], code=form.cleaned_data["code"]
        )
        if document is not None:
            _not_a_failure(request)
            logger.info(
                "Document verified: reference=%s user_id=%s ip=%s",
                document.reference,
                request.user.pk,
                client_ip(request),
            )
            context["document_answer"] = document
            return render(request, "prescriptions/verify.html", context)
    if answer is None:
        _record_verification_failure(request)
        form.add_error(None, MSG_VERIFY_NO_MATCH)
        return render(request, "prescriptions/verify.html", context)
    _not_a_failure(request)
    logger.info(
        "Prescription verified: reference=%s valid=%s user_id=%s ip=%s",
        answer.reference,
        answer.valid,
        request.user.pk,
        client_ip(request),
    )
    context["answer"] = answer
    # A physiotherapist holding the form goes on to renew or adapt it (the look-up still asks
    # for the patient's birth date).
    context["physiotherapist"] = getattr(request.user, "is_physiotherapist", False)
    return render(request, "prescriptions/verify.html", context)
