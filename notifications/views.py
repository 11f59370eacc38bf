from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from audit.models import ReadAudit
from audit.services import audit_read
from practitioners.http import AuthenticatedRequest

from .models import Notification
from .selectors import notifications_for
from .services import notification_mark_read, notifications_mark_all_read

MSG_ALL_READ = _("Toutes les notifications sont marquées comme lues.")
MSG_READ = _("Notification marquée comme lue.")


def inbox(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 25).get_page(request.GET.get("page"))
    # One read for the page, naming the patients its notifications name (as the patient list).
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=(n.named_patient_id for n in page.object_list if n.named_patient_id),
        detail="notifications",
    )
    return render(request, "notifications/inbox.html", {"page": page})


@require_safe
def notification_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Open one notification: go to what changed. Opening changes nothing (a cross-site link
    must not clear the unread signal, R-R7): the notification stays unread until the prescriber
    marks the renewal read (« Marquer comme lu », a POST) or the notification itself."""
    notification = get_object_or_404(
        Notification.objects.filter(recipient=request.user).select_related("prescription"), pk=pk
    )
    if notification.document_id:  # R-B4: the bilan decides who reads it (bilans.access)
        return redirect(notification.document_url)
    if notification.renewal_id:
        return redirect(
            reverse("prescriptions:changes", kwargs={"pk": notification.prescription_id})
        )
    if notification.pathway_id:  # the pathway's page decides who sees it (pathway.access)
        return redirect(reverse("pathway:detail", kwargs={"pk": notification.pathway_id}))
    if notification.offer_id:  # the offer's side: the programme's page (programmes.access)
        return redirect(reverse("programmes:offer", kwargs={"pk": notification.offer_id}))
    prescription = notification.prescription
    if prescription is None:  # none left: a notification has a prescription or a pathway
        raise Http404
    if notification.is_programme:  # the prescriber: the patient's record, programmes section
        return redirect(reverse("patients:detail", kwargs={"pk": prescription.patient_id}))
    return redirect(reverse("prescriptions:detail", kwargs={"pk": notification.prescription_id}))


@require_POST
def notification_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark one notification read (POST with CSRF)."""
    notification = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    notification_mark_read(notification=notification)
    messages.success(request, MSG_READ)
    return redirect("notifications:inbox")


@require_POST
def mark_all_read(request: AuthenticatedRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    messages.success(request, MSG_ALL_READ)
    return redirect("notifications:inbox")
