"""What the pathway app answers to the apps below it (connected in PathwayConfig.ready())."""

import uuid

from django.utils.translation import gettext as _

from kernel.codes import code_matches
from prescriptions.events import PrescriptionPrefill, VerifiedDocument

from . import access
from .models import Booking, PathwayPrescription
from .rules import PATHWAY_REFERENCE_PREFIX

PROJECT_SOURCE = "pathway-project:"  # ?from=pathway-project:<booking uuid> (R-C4)


def on_document_verification_requested(
    sender, *, reference: str, code: str, **kwargs
) -> VerifiedDocument | None:
    """The public verification page asks whether a reference and code are a pathway
    prescription (R-C1): its kind and date only, never a name nor health data. A wrong code is
    answered as an unknown reference."""
    if not reference.startswith(PATHWAY_REFERENCE_PREFIX + "-"):
        return None  # another app's document: no query
    pathway = (
        PathwayPrescription.objects.filter(reference=reference)
        .only("reference", "verification_code", "prescribed_on")
        .first()
    )
    expected = pathway.verification_code if pathway is not None else None
    if not code_matches(expected, code) or pathway is None:
        return None
    return VerifiedDocument(
        reference=pathway.reference,
        kind_label=str(PathwayPrescription._meta.verbose_name).capitalize(),
        performed_on=pathway.prescribed_on,
        signed_on=pathway.prescribed_on,
    )


def on_prescription_prefill_requested(
    sender, *, user, patient, source: str, **kwargs
) -> PrescriptionPrefill | None:
    """R-C4: a new APA prescription opened from a pathway's physical-activity bilan starts from
    its « projet d'activité physique adaptée », for a physician who may see that pathway."""
    if not source.startswith(PROJECT_SOURCE):
        return None
    try:
        pk = uuid.UUID(source.removeprefix(PROJECT_SOURCE))
    except ValueError:
        return None
    booking = (
        Booking.objects.select_related("pathway")
        .filter(pk=pk, pathway__patient=patient)
        .exclude(apa_project="")
        .first()
    )
    if booking is None or not access.may_prescribe_from_project(user, booking.pathway):
        return None
    label = _(
        "Recommandations préremplies à partir du projet d'activité physique adaptée du "
        "%(date)s : relisez-les et complétez la prescription avant de l'enregistrer."
    ) % {"date": booking.scheduled_on.strftime("%d/%m/%Y")}
    return PrescriptionPrefill(label=label, initial={"recommendations_text": booking.apa_project})
