"""The group programmes' teams get their own care-team reason (PROGRAMME), distinct from a direct
orientation (ORIENTATION), so that a refused or ended referral can end it (need-to-know).

Forwards: each open referral and active enrolment gives its offer's team (supervisors and
coordinator) an active PROGRAMME grant. The ORIENTATION grants held by someone who is not a
dispenser (a coordinator from the structure's staff) can only come from a referral (a direct
orientation is refused to them): they end (`revoked_at`, never deleted). A dispenser's
ORIENTATION grant is kept: nothing tells a referral's from a physician's direct orientation.
"""

from django.db import migrations
from django.utils import timezone

# practitioners.models.DISPENSER_PROFESSIONS at the time of this migration (CSP D.1172-2).
DISPENSERS = (
    "physiotherapist",
    "occupational_therapist",
    "psychomotor_therapist",
    "apa_teacher",
    "sports_educator",
    "federation_certified",
)


def forwards(apps, schema_editor):
    CareTeamGrant = apps.get_model("patients", "CareTeamGrant")
    Referral = apps.get_model("programmes", "Referral")
    Enrolment = apps.get_model("programmes", "Enrolment")
    now = timezone.now()
    pairs = {}
    for referral in Referral.objects.filter(status__in=["sent", "accepted"]).select_related(
        "offer"
    ):
        pairs.setdefault((referral.offer_id, referral.patient_id), referral.sent_by_id)
    for enrolment in Enrolment.objects.filter(status__in=["enrolled", "waiting"]):
        pairs.setdefault((enrolment.offer_id, enrolment.patient_id), enrolment.enrolled_by_id)
    Offer = apps.get_model("programmes", "Offer")
    for (offer_id, patient_id), granted_by_id in pairs.items():
        offer = Offer.objects.get(pk=offer_id)
        team = set(offer.supervisors.values_list("pk", flat=True))
        if offer.coordinator_id is not None:
            team.add(offer.coordinator_id)
        for user_id in team:
            grant, created = CareTeamGrant.objects.get_or_create(
                patient_id=patient_id,
                user_id=user_id,
                reason="programme",
                defaults={"granted_by_id": granted_by_id},
            )
            if not created and grant.revoked_at is not None:
                grant.revoked_at = None
                grant.save(update_fields=["revoked_at"])
    CareTeamGrant.objects.filter(reason="orientation", revoked_at__isnull=True).exclude(
        user__profession__in=DISPENSERS
    ).update(revoked_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0009_careteamgrant_programme_reason"),
        ("programmes", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
