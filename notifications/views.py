from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .models import Notification
from .selectors import notifications_for
from .services import notification_mark_read, notifications_mark_all_read

MSG_ALL_READ = _("Toutes les notifications sont marquées comme lues.")


def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open one notification: mark it read and go to what changed."""
    notification = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    notification_mark_read(notification=notification)
    if notification.renewal_id:
        return redirect(
            reverse("prescriptions:changes", kwargs={"pk": notification.prescription_id})
        )
    return redirect(reverse("prescriptions:detail", kwargs={"pk": notification.prescription_id}))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    messages.success(request, MSG_ALL_READ)
    return redirect("notifications:inbox")
