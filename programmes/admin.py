"""Admin of group programmes: viewed and searched, scoped to the admin's structure; made and
changed by the services only (the rules R-G2, R-G3, R-O1 and the capacity lock live there)."""

from django.contrib import admin

from kernel.admin import AuditedReadAdmin, ReadOnlyAdmin
from patients.admin import audit_patient_read, audit_patients_listed

from .models import Attendance, Enrolment, FollowUp, Offer, Referral, Session, Slot


class PatientRowAdmin(AuditedReadAdmin):
    """A row about one patient: its pages record the read of the patient's record, its lists
    the patients shown. `patient_path`: the attributes from the row to the patient."""

    patient_path: tuple[str, ...] = ("patient",)

    def _patient(self, obj):
        for name in self.patient_path:
            obj = getattr(obj, name)
        return obj

    def record_read(self, request, obj, *, page: str) -> None:
        audit_patient_read(request, self._patient(obj), page=page)

    def record_list_read(self, request, objects: list) -> None:
        audit_patients_listed(request, (self._patient(obj).pk for obj in objects))


class SlotInline(admin.TabularInline):
    model = Slot
    fields = ("weekday", "start_time", "minutes")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ("title", "structure", "postal_code", "start_date", "end_date", "capacity")
    list_filter = ("accepts_severe", "accepts_moderate")
    search_fields = ("title", "activity", "place")
    inlines = (SlotInline,)
    list_select_related = ("structure",)


@admin.register(Referral)
class ReferralAdmin(PatientRowAdmin, ReadOnlyAdmin):
    structure_field = "offer__structure"
    list_display = ("offer", "status", "sent_at", "decided_at")
    list_filter = ("status",)
    list_select_related = ("offer__structure", "patient")
    search_fields = ("offer__title",)


@admin.register(Enrolment)
class EnrolmentAdmin(PatientRowAdmin, ReadOnlyAdmin):
    structure_field = "offer__structure"
    list_display = ("offer", "status", "starts_on", "created_at", "ended_at")
    list_filter = ("status",)
    list_select_related = ("offer__structure", "patient")
    search_fields = ("offer__title",)


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    structure_field = "offer__structure"
    list_display = ("offer", "starts_at", "holiday", "cancelled_at")
    list_select_related = ("offer__structure",)
    search_fields = ("offer__title",)


@admin.register(Attendance)
class AttendanceAdmin(PatientRowAdmin, ReadOnlyAdmin):
    patient_path = ("enrolment", "patient")
    structure_field = "session__offer__structure"
    list_display = ("session", "present", "recorded_at")
    list_select_related = ("session__offer__structure", "enrolment__patient")
    search_fields = ("session__offer__title",)


@admin.register(FollowUp)
class FollowUpAdmin(PatientRowAdmin, ReadOnlyAdmin):
    patient_path = ("enrolment", "patient")
    structure_field = "enrolment__offer__structure"
    list_display = ("enrolment", "due_on", "done_on", "share_agreement")
    list_select_related = ("enrolment__offer__structure", "enrolment__patient")
    search_fields = ("enrolment__offer__title",)
