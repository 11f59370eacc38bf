"""The orientation's part of the patient's record page (patients.record)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from patients.models import Patient
from patients.record import RecordSection
from practitioners.http import AuthenticatedRequest

from .access import may_orient
from .selectors import orientations_of


def orientation_section(request: AuthenticatedRequest, patient: Patient) -> RecordSection | None:
    """« Orienter » for whoever may orient this patient, with the orientations in force and a
    « Mettre fin » button for each (a POST); nothing for the others. The record page shows a
    patient read through the user's scope: visible."""
    if not may_orient(request.user, patient, visible=True):
        return None
    url = reverse("dispensing:orientation", kwargs={"pk": patient.pk})
    orientations = list(orientations_of(patient))
    return RecordSection(
        template_name="dispensing/_patient_orientations.html" if orientations else "",
        context={"orientations": orientations, "patient": patient},
        actions=((_("Orienter"), url, False),),
    )
