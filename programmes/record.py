"""The programmes' part of the patient's record page (patients.record): the referrals to offers
with their status, the enrolments and the link to the directory for who may orient."""

from django.urls import reverse
from django.utils.translation import gettext as _

from patients.models import Patient
from patients.record import RecordSection
from practitioners.http import AuthenticatedRequest

from .access import may_orient_to_offer
from .selectors import referrals_of_patient


def programmes_section(request: AuthenticatedRequest, patient: Patient) -> RecordSection | None:
    # One query, and one more only when there are referrals: every enrolment comes from one.
    referrals = list(referrals_of_patient(patient).prefetch_related("enrolments"))
    enrolments = [e for r in referrals for e in r.enrolments.all()]
    may_orient = may_orient_to_offer(request.user, patient, visible=True)
    if not referrals and not enrolments and not may_orient:
        return None
    actions: tuple[tuple[str, str, bool], ...] = ()
    if may_orient:
        url = reverse("programmes:patient_directory", kwargs={"pk": patient.pk})
        actions = ((_("Orienter vers un programme"), url, False),)
    return RecordSection(
        template_name="programmes/_patient_programmes.html" if referrals or enrolments else "",
        context={"referrals": referrals, "enrolments": enrolments, "patient": patient},
        actions=actions,
    )
