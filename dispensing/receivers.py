"""What the dispensing app does when the prescriptions app tells it something (connected in
DispensingConfig.ready())."""

from prescriptions.models import Prescription

from .services import orientations_end_without_prescription


def on_prescription_withdrawn(sender, *, prescription: Prescription, **kwargs) -> None:
    """A withdrawn prescription: the patient's orientations end unless another prescription
    is still in force (need-to-know: an orientation follows a running prescription)."""
    orientations_end_without_prescription(patient_ids=[prescription.patient_id])
