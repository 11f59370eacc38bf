"""The bilans' part of the patient's record page (patients.record)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from patients.models import Patient
from patients.record import RecordSection
from practitioners.http import AuthenticatedRequest

from . import access
from .selectors import patient_documents


def bilans_section(request: AuthenticatedRequest, patient: Patient) -> RecordSection | None:
    """The patient's timeline (prescription → entry bilan → comptes rendus → renewal → exit
    bilan), each item for whoever reads it, and
    « Bilan d'entrée » / « Compte rendu » for the professional who records."""
    recorder = access.may_record(request.user, patient)
    if not access.may_see_patient_bilans(request.user, patient, recorder=recorder):
        return None
    url = reverse("bilans:patient", kwargs={"pk": patient.pk})
    actions: tuple[tuple[str, str, bool], ...] = ()
    if recorder:
        actions = ((_("Bilans et comptes rendus"), url, True),)
    documents = patient_documents(user=request.user, patient=patient, recorder=recorder)
    return RecordSection(
        template_name="bilans/_record_section.html",
        context={
            "documents": documents,
            "has_bilans": any(not d.is_prescription_side for d in documents),
            "recorder": recorder,
            "url": url,
        },
        actions=actions,
    )
