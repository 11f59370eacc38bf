"""Reads of group programmes, scoped to what the user may see: the directory of offers for a
prescription (R-O1), the offers a professional manages, a patient's referrals and enrolments,
the sessions of a calendar, the follow-ups due (R-G4)."""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from patients.access import is_active_user
from patients.models import Patient
from practitioners.models import Profession, User
from prescriptions.models import Prescription

from . import geo, rules
from .models import Attendance, Enrolment, FollowUp, Offer, Referral, Session

DIRECTORY_LIMIT = 50


@dataclass(frozen=True)
class DirectoryEntry:
    offer: Offer
    seats_left: int
    distance_km: float | None


def offers_matching(
    *, prescription: Prescription, level: int, today: date, limit: int = DIRECTORY_LIMIT
) -> list[DirectoryEntry]:
    """R-O1: the running offers that accept `level` and the patient's situations (an offer
    without situations takes all), nearest first (geo: offline, by département), with their
    seats left (R-G2). Sorted and cut in the database (an equirectangular distance, exact
    enough to sort at a region's scale): `limit` offers are read, whatever their number."""
    patient = prescription.patient
    situation_ids = list(patient.situations.values_list("pk", flat=True))
    through = Offer.situations.through
    taken = (
        Enrolment.objects.filter(offer_id=OuterRef("pk"), status=Enrolment.Status.ENROLLED)
        .order_by()
        .values("offer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    offers = (
        Offer.objects.filter(end_date__gte=today, **{rules.LEVEL_FIELDS[level]: True})
        .filter(
            ~Exists(through.objects.filter(offer_id=OuterRef("pk")))
            | Exists(
                through.objects.filter(
                    offer_id=OuterRef("pk"), eligibilitysituation_id__in=situation_ids
                )
            )
        )
        .annotate(taken=Coalesce(Subquery(taken), 0))
        .select_related("structure")
    )
    here = geo.coordinates_of(patient.postal_code)
    if here is None:
        offers = offers.order_by("start_date", "pk")
    else:
        lat0, lon0 = here
        scale = math.cos(math.radians(lat0))
        dlat = F("latitude") - Value(lat0)
        dlon = (F("longitude") - Value(lon0)) * Value(scale)
        offers = offers.annotate(
            d2=ExpressionWrapper(dlat * dlat + dlon * dlon, output_field=FloatField())
        ).order_by(F("d2").asc(nulls_last=True), "start_date", "pk")
    entries = []
    for offer in offers[:limit]:
        distance = None
        if here is not None and offer.latitude is not None and offer.longitude is not None:
            distance = round(rules.distance_km(here, (offer.latitude, offer.longitude)))
        entries.append(DirectoryEntry(offer, max(0, offer.capacity - offer.taken), distance))
    return entries


def offers_managed_by(user: User) -> QuerySet[Offer]:
    """The offers `user` coordinates or supervises, and those of their structure for its
    admin staff."""
    if not is_active_user(user):
        return Offer.objects.none()
    if user.is_superuser:
        return Offer.objects.all()
    scope = Q(coordinator=user) | Q(
        pk__in=Offer.supervisors.through.objects.filter(user_id=user.pk).values("offer_id")
    )
    if user.profession == Profession.ADMIN_STAFF and user.structure_id:
        scope |= Q(structure_id=user.structure_id)
    return Offer.objects.filter(scope)


def offer_get_managed(*, user: User, pk: object) -> Offer:
    """The offer `pk` if `user` manages it (404 otherwise)."""
    return get_object_or_404(
        offers_managed_by(user).select_related("structure", "coordinator"), pk=pk
    )


def session_get_managed(*, user: User, pk: object) -> Session:
    return get_object_or_404(
        Session.objects.filter(offer__in=offers_managed_by(user)).select_related("offer"), pk=pk
    )


def enrolments_of_offer(offer: Offer) -> QuerySet[Enrolment]:
    """The enrolled first, then the waiting list in its order; the ended ones left out."""
    return (
        Enrolment.objects.filter(offer=offer, status__in=Enrolment.ACTIVE_STATUSES)
        .select_related("patient", "prescription__prescriber")
        .defer("patient__nir")
        .order_by("-status", "created_at")  # "waiting" > "enrolled"
    )


def referrals_of_offer(offer: Offer) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(offer=offer, status=Referral.Status.SENT)
        .select_related("patient", "sent_by", "prescription__assessment")
        .defer("patient__nir")
        .order_by("sent_at")
    )


def referrals_of_patient(patient: Patient) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(patient=patient)
        .select_related("offer__structure", "sent_by")
        .order_by("-sent_at")
    )


def enrolments_of_patient(patient: Patient) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(patient=patient).select_related("offer__structure")


def sessions_of_professional(user: User, *, since: date) -> QuerySet[Session]:
    return (
        Session.objects.filter(
            offer__in=offers_managed_by(user), starts_at__gte=start_of_day(since)
        )
        .select_related("offer__structure")
        .order_by("starts_at")
    )


def sessions_of_patient(patient: Patient, *, since: date) -> QuerySet[Session]:
    enrolled = Enrolment.objects.filter(patient=patient, status=Enrolment.Status.ENROLLED)
    return (
        Session.objects.filter(
            offer_id__in=enrolled.values("offer_id"),
            starts_at__gte=start_of_day(since),
            cancelled_at__isnull=True,
        )
        .select_related("offer__structure")
        .order_by("starts_at")
    )


def start_of_day(day: date) -> datetime:
    """Midnight of `day` in Paris: compared as an instant, the (offer, start) index serves."""
    return datetime.combine(day, time.min, tzinfo=rules.PARIS)


def follow_ups_due(user: User, *, today: date, ahead_days: int = 7) -> QuerySet[FollowUp]:
    """R-G4: the follow-ups not done, due within `ahead_days`, of the enrolled patients of the
    offers `user` manages (the professional's home)."""
    return (
        FollowUp.objects.filter(
            done_on__isnull=True,
            due_on__lte=today + timedelta(days=ahead_days),
            enrolment__status=Enrolment.Status.ENROLLED,
            enrolment__offer__in=offers_managed_by(user),
        )
        .select_related("enrolment__patient", "enrolment__offer")
        .defer("enrolment__patient__nir")
        .order_by("due_on")
    )


def follow_up_sessions(*, follow_up: FollowUp, until: date) -> tuple[int, int]:
    """R-G4 as a compte rendu (R-B2): the sessions of the follow-up's period, planned (the
    offer's sessions not cancelled) and attended (the patient present). The period runs from
    the patient's start, or the day after the previous follow-up recorded, to `until`."""
    enrolment = follow_up.enrolment
    previous = (
        FollowUp.objects.filter(enrolment=enrolment, done_on__isnull=False, done_on__lte=until)
        .exclude(pk=follow_up.pk)
        .aggregate(last=Max("done_on"))["last"]
    )
    since = previous + timedelta(days=1) if previous is not None else enrolment.starts_on
    if since is None or since > until:
        return 0, 0
    sessions = Session.objects.filter(
        offer_id=enrolment.offer_id,
        cancelled_at__isnull=True,
        starts_at__gte=start_of_day(since),
        starts_at__lt=start_of_day(until + timedelta(days=1)),
    )
    planned = sessions.count()
    attended = Attendance.objects.filter(
        enrolment=enrolment, present=True, session__in=sessions
    ).count()
    return planned, attended


def running_prescription_of(patient: Patient, *, today: date) -> Prescription | None:
    """R-G1: the patient's latest running prescription (issued, not withdrawn, not ended)."""
    return (
        Prescription.objects.filter(
            patient=patient,
            status__in=Prescription.RUNNING_STATUSES,
            current_end_date__gte=today,
            assessment__isnull=False,
        )
        .select_related("assessment", "patient")
        .order_by("-prescribed_on", "-issued_at")
        .first()
    )


def referral_get_managed(*, user: User, pk: object) -> Referral:
    return get_object_or_404(
        Referral.objects.filter(offer__in=offers_managed_by(user)).select_related("offer"), pk=pk
    )


def enrolment_get_managed(*, user: User, pk: object) -> Enrolment:
    return get_object_or_404(
        Enrolment.objects.filter(offer__in=offers_managed_by(user)).select_related("offer"),
        pk=pk,
    )


def follow_up_get_managed(*, user: User, pk: object) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.filter(enrolment__offer__in=offers_managed_by(user))
        .select_related("enrolment__offer", "enrolment__patient", "report__issued")
        .defer("enrolment__patient__nir", "report__issued__pdf"),
        pk=pk,
    )
