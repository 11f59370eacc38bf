"""What the prescriptions app does for the apps below it: it receives their domain events and
adds its part to the patient's record page (connected in PrescriptionsConfig.ready())."""

from django.urls import reverse
from django.utils.translation import gettext as _

from patients.models import Patient
from patients.record import RecordSection
from practitioners.http import AuthenticatedRequest

from .access import may_end_access, may_prescribe_for
from .selectors import lookup_accesses_of, prescriptions_visible_to
from .services import prescriptions_follow_patient


def on_patient_updated(sender, *, patient: Patient, **kwargs) -> None:
    prescriptions_follow_patient(patient=patient)


def prescriptions_section(request: AuthenticatedRequest, patient: Patient) -> RecordSection:
    """The patient's prescriptions as a timeline, and « Nouvelle prescription » for a physician
    of the patient's care team (R-P1)."""
    prescriptions = (
        prescriptions_visible_to(request.user)
        .filter(patient=patient)
        .select_related("prescriber", "renewal", "assessment")
        .order_by("-prescribed_on", "-created_at")
    )
    actions: tuple[tuple[str, str, bool], ...] = ()
    if may_prescribe_for(request.user, patient, visible=True):  # read through the user's scope
        url = f"{reverse('prescriptions:create')}?patient={patient.pk}"
        actions = ((_("Nouvelle prescription"), url, True),)
    return RecordSection(
        template_name="prescriptions/_patient_timeline.html",
        context={"prescriptions": prescriptions},
        actions=actions,
    )


def lookup_accesses_section(
    request: AuthenticatedRequest, patient: Patient
) -> RecordSection | None:
    """The physiotherapists who looked one of the patient's prescriptions up, with « Mettre
    fin à l'accès » for the physicians of the care team and the structure's admin staff; the
    ended accesses stay listed (their date of end). Nothing for the others, nor without any."""
    if not may_end_access(request.user, patient, visible=True):  # read through the user's scope
        return None
    accesses = list(lookup_accesses_of(patient))
    if not accesses:
        return None
    return RecordSection(
        template_name="prescriptions/_patient_accesses.html",
        context={"accesses": accesses},
    )
