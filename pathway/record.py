"""The pathway's part of the patient's record page (patients.record)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Patient
from patients.record import RecordSection
from practitioners.http import AuthenticatedRequest

from . import access, selectors


def pathway_section(request: AuthenticatedRequest, patient: Patient) -> RecordSection | None:
    """The cancer episodes and the ledger of each pathway, for the physicians of the care team
    (the page's other readers do not see it: need-to-know)."""
    # The record page shows only a patient the user sees (patients.record).
    if not access.is_care_team_physician(request.user, patient, visible=True):
        return None
    episodes = list(selectors.patient_episodes(patient.pk))
    today = timezone.localdate()
    ledgers = [
        selectors.ledger(episode.pathway, today=today)
        for episode in episodes
        if hasattr(episode, "pathway")
    ]
    actions = (
        (
            _("Épisode de cancer"),
            reverse("pathway:episode_create", kwargs={"pk": patient.pk}),
            False,
        ),
    )
    return RecordSection(
        template_name="pathway/_record_section.html",
        context={
            "episodes": episodes,
            "ledgers": ledgers,
            "may_prescribe": access.may_prescribe(request.user, patient, visible=True),
        },
        actions=actions,
    )
