"""Writes of group programmes (R-G1..R-G4, R-O1). Each checks who acts, validates, writes inside
`transaction.atomic()`, and locks the offer's row where two coordinators could collide (the
last seat)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from bilans.services import progress_report_create
from kernel.errors import coded_error as _error
from patients.models import CareTeamGrant, EligibilitySituation, Patient
from patients.services import care_team_grant, care_team_revoke, patient_lock
from practitioners.models import DISPENSER_PROFESSIONS, Structure, User
from prescriptions.models import Prescription
from prescriptions.rules import LimitationLevel
from prescriptions.selectors import supervising_professions

from . import events, geo, rules, selectors
from .access import (
    MSG_EDIT_NOT_ALLOWED,
    MSG_MANAGE_NOT_ALLOWED,
    MSG_ORIENT_NOT_ALLOWED,
    may_coordinate,
    may_edit_offer,
    may_manage_offer,
    may_orient_to_offer,
    may_publish_offers_for,
)
from .models import Attendance, Enrolment, FollowUp, Offer, Referral, Session, Slot

MSG_POSTAL_CODE = _("Le code postal doit comporter 5 chiffres d'une commune française.")
MSG_SUPERVISOR_NOT_DISPENSER = _(
    "%(name)s n'est pas un intervenant en activité physique adaptée (art. D. 1172-2 du CSP)."
)
MSG_NO_SLOT = _("Indiquez au moins un créneau hebdomadaire.")
MSG_SUPERVISOR_OTHER_STRUCTURE = _(
    "%(name)s n'exerce pas dans la structure qui publie ce programme."
)
MSG_COORDINATOR_OTHER_STRUCTURE = _(
    "Le coordinateur doit être un membre actif de la structure qui publie ce programme."
)
MSG_COORDINATOR_ROLE = _(
    "Le coordinateur d'un programme est un membre du personnel administratif de la structure "
    "ou un de ses intervenants en activité physique adaptée : c'est lui qui reçoit les "
    "orientations, inscrit les patients et est alerté des absences."
)
MSG_TITLE_REQUIRED = _("Indiquez l'intitulé du programme.")
MSG_ACTIVITY_REQUIRED = _("Indiquez l'activité proposée.")
MSG_PLACE_REQUIRED = _("Indiquez le lieu des séances.")
# R-G5: an edit never breaks what runs (the enrolled patients, the sessions held).
MSG_CAPACITY_BELOW_ENROLLED = _(
    "%(count)s patients sont inscrits : le nombre de places ne peut pas descendre en dessous. "
    "Faites d'abord sortir des patients du programme."
)
MSG_LEVEL_IN_USE = _(
    "Un patient inscrit ou en liste d'attente a une limitation « %(level)s » : ce niveau doit "
    "rester accepté tant qu'il suit le programme."
)
MSG_END_PAST = _("La date de fin ne peut pas précéder aujourd'hui (%(today)s).")
MSG_START_LOCKED = _(
    "Le programme a commencé ou des patients y sont inscrits : la date de début ne peut plus "
    "changer (leur début et leurs consultations de suivi en dépendent)."
)
MSG_END_SHORTENED = _(
    "Des patients sont inscrits ou en liste d'attente : la date de fin peut être repoussée, pas "
    "avancée (leurs séances et leurs consultations de suivi leur ont été annoncées)."
)
MSG_SESSION_HELD = _(
    "La séance du %(date)s a déjà un appel enregistré : ce changement la supprimerait. "
    "Gardez son créneau et ses dates."
)
MSG_PUBLISH_OTHER_STRUCTURE = _("Vous ne pouvez publier que les programmes de votre structure.")
# Written as the reason of the future sessions an edit cancels (kept, never deleted); an
# edit that brings the créneau back reinstates them (only those).
SESSION_CANCELLED_BY_EDIT = "Programme modifié (créneau ou dates)"
MSG_PRESCRIPTION_NOT_RUNNING = _(
    "La prescription n'est pas en cours (brouillon, annulée ou échue) : l'orientation et "
    "l'inscription demandent une prescription médicale en cours."
)
MSG_NO_LEVEL = _(
    "La prescription ne porte pas de limitation fonctionnelle confirmée : l'orientation n'est "
    "pas possible."
)
MSG_LEVEL_NOT_ACCEPTED = _(
    "Ce programme n'accueille pas les patients dont la limitation fonctionnelle est « %(level)s »."
)
MSG_OFFER_ENDED = _("Ce programme est terminé.")
MSG_REFERRAL_OPEN = _("Ce patient est déjà orienté vers ce programme.")
MSG_REFERRAL_NOT_SENT = _("Cette orientation a déjà reçu une réponse.")
MSG_REFERRAL_CLOSED = _("Cette orientation a été refusée ou est terminée.")
MSG_REASON_REQUIRED = _("Indiquez le motif du refus : le prescripteur le lira.")
MSG_GOALS_REQUIRED = _(
    "Indiquez les objectifs fixés lors de la consultation individuelle initiale."
)
MSG_ALREADY_ENROLLED = _("Ce patient est déjà inscrit ou en liste d'attente pour ce programme.")
MSG_ENROLMENT_ENDED = _("Cette inscription a déjà pris fin.")
MSG_SESSION_CANCELLED = _("Cette séance est annulée : pas d'appel.")
MSG_NOT_ENROLLED = _("Ce patient n'est pas inscrit à ce programme.")
MSG_FOLLOW_UP_DONE = _("Cette consultation de suivi est déjà enregistrée.")
MSG_FOLLOW_UP_GOALS = _("Indiquez les objectifs ajustés.")
# The compte rendu's progress (R-B2) quotes the follow-up's effects and adjusted goals (R-G4).
MSG_REPORT_EFFECTS = _("Effets physiques et psychologiques : %(text)s")
MSG_REPORT_GOALS = _("Objectifs ajustés : %(text)s")
MSG_CANCEL_REASON = _("Indiquez le motif de l'annulation.")


@dataclass(frozen=True)
class OfferInput:
    title: str
    activity: str
    levels: Sequence[int]
    place: str
    postal_code: str
    start_date: date
    end_date: date
    slots: Sequence[rules.WeeklySlot]
    capacity: int = rules.DEFAULT_CAPACITY


def offer_errors(
    *,
    data: OfferInput,
    supervisors: Sequence[User],
    structure: Structure | None = None,
    coordinator: User | None = None,
) -> ValidationError | None:
    """Every reason `data` is not a valid offer (R-G2, R-G3, R-O1), or None.

    With `structure`: the supervisors and the coordinator are active members of it (a
    structure publishes its own professionals, never another's)."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: Any, code: str, **params: Any) -> None:
        errors.setdefault(field, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    if not rules.capacity_is_valid(data.capacity):  # R-G2
        add("capacity", rules.MSG_CAPACITY, "offer_capacity")
    try:
        earliest, latest = rules.duration_bounds(data.start_date)
    except ValidationError as exc:  # past the calendar's end (a typo's year 9999)
        add("start_date", exc.messages[0], "offer_dates")
    else:
        if data.end_date <= data.start_date:
            add("end_date", rules.MSG_DATES, "offer_dates")
        elif not rules.duration_is_valid(data.start_date, data.end_date):  # R-G3
            add(
                "end_date",
                rules.MSG_DURATION,
                "offer_duration",
                min=earliest.strftime("%d/%m/%Y"),
                max=latest.strftime("%d/%m/%Y"),
            )
    if geo.coordinates_of(data.postal_code) is None:
        add("postal_code", MSG_POSTAL_CODE, "offer_postal_code")
    if not data.slots:
        add("slots", MSG_NO_SLOT, "offer_no_slot")
    elif not rules.sessions_per_week_are_valid(data.slots):  # R-G3
        add("slots", rules.MSG_SESSIONS_PER_WEEK, "offer_sessions_per_week")
    if not supervisors:
        add("supervisors", rules.MSG_NO_SUPERVISOR, "offer_no_supervisor")
    for user in supervisors:
        if user.profession not in DISPENSER_PROFESSIONS or not user.is_active:
            add(
                "supervisors",
                MSG_SUPERVISOR_NOT_DISPENSER,
                "offer_supervisor_not_dispenser",
                name=user.display_name,
            )
    if structure is not None:
        for user in supervisors:
            if user.structure_id != structure.pk:
                add(
                    "supervisors",
                    MSG_SUPERVISOR_OTHER_STRUCTURE,
                    "offer_supervisor_other_structure",
                    name=user.display_name,
                )
        if coordinator is not None and (
            coordinator.structure_id != structure.pk or not coordinator.is_active
        ):
            add("coordinator", MSG_COORDINATOR_OTHER_STRUCTURE, "offer_coordinator_structure")
        elif coordinator is not None and not may_coordinate(coordinator):
            add("coordinator", MSG_COORDINATOR_ROLE, "offer_coordinator_role")
    if not data.title.strip():
        add("title", MSG_TITLE_REQUIRED, "offer_title_required")
    if not data.activity.strip():
        add("activity", MSG_ACTIVITY_REQUIRED, "offer_activity_required")
    if not data.place.strip():
        add("place", MSG_PLACE_REQUIRED, "offer_place_required")
    levels = [level for level in data.levels if level in rules.LEVEL_FIELDS]
    if not levels:
        add("levels", rules.MSG_NO_LEVEL, "offer_no_level")
    elif supervisors:
        # R-O1 (R-L4 binding, R-L5 editable table): each accepted level has a supervisor
        # allowed for it.
        allowed = {level: supervising_professions(level) for level in levels}
        professions = [u.profession for u in supervisors]
        for level in rules.unsupervised_levels(levels, professions, allowed):
            add(
                "levels",
                rules.MSG_SUPERVISION,
                "offer_supervision_severe"
                if level == LimitationLevel.SEVERE
                else "offer_supervision_level",
                level=LimitationLevel(level).label.lower(),
                rule=rules.MSG_SUPERVISION_SEVERE
                if level == LimitationLevel.SEVERE
                else rules.MSG_SUPERVISION_TABLE,
            )
    return ValidationError(errors) if errors else None


@transaction.atomic
def offer_create(
    *,
    structure: Structure,
    data: OfferInput,
    supervisors: Sequence[User],
    coordinator: User | None = None,
    situations: Iterable[EligibilitySituation] = (),
    coordinates: tuple[float, float] | None = None,
    by: User | None = None,
) -> Offer:
    """Publish an offer with its créneaux (R-G2 capacity, R-G3 duration, R-O1 supervision),
    its supervisors and coordinator of `structure`. `by`: who publishes (the pages; the CSV
    import and the scripts check it themselves)."""
    if by is not None and not may_publish_offers_for(by, structure.pk):
        raise _error(MSG_PUBLISH_OTHER_STRUCTURE, "programme_publish_not_allowed")
    error = offer_errors(
        data=data, supervisors=supervisors, structure=structure, coordinator=coordinator
    )
    if error is not None:
        raise error
    latitude, longitude = coordinates or geo.coordinates_of(data.postal_code) or (None, None)
    offer = Offer(
        structure=structure,
        title=data.title,
        activity=data.activity,
        place=data.place,
        postal_code=data.postal_code,
        latitude=latitude,
        longitude=longitude,
        start_date=data.start_date,
        end_date=data.end_date,
        capacity=data.capacity,
        coordinator=coordinator,
        **{name: level in data.levels for level, name in rules.LEVEL_FIELDS.items()},
    )
    offer.full_clean()
    offer.save()
    offer.supervisors.set(supervisors)
    offer.situations.set(list(situations))
    for slot in data.slots:
        Slot.objects.create(
            offer=offer, weekday=slot.weekday, start_time=slot.start, minutes=slot.minutes
        )
    sessions_generate(offer=offer)
    return offer


def sessions_generate(*, offer: Offer, after: datetime | None = None) -> int:
    """Create the offer's dated sessions from its créneaux (idempotent). Returns how many.

    `after`: only the sessions that start after this instant (an edit never creates a
    session in the past, which was never held)."""
    slots = [rules.WeeklySlot(s.weekday, s.start_time, s.minutes) for s in offer.slots.all()]
    existing = set(offer.sessions.values_list("starts_at", flat=True))
    new = [
        Session(offer=offer, starts_at=s.starts_at, ends_at=s.ends_at, holiday=s.holiday)
        for s in rules.dated_sessions(slots, offer.start_date, offer.end_date)
        if s.starts_at not in existing and (after is None or s.starts_at > after)
    ]
    bulk_create_with_history(new, Session)  # every row has its creation in the history
    return len(new)


def offer_update_errors(
    *,
    offer: Offer,
    data: OfferInput,
    supervisors: Sequence[User],
    coordinator: User | None = None,
    now: datetime | None = None,
) -> ValidationError | None:
    """Every reason an edit of `offer` into `data` is refused: those of a new offer (R-G2,
    R-G3, R-O1, its structure's members), and R-G5, an edit never breaks what runs:

    - the places never go below the patients enrolled (R-G2);
    - a level held by a patient enrolled or on the waiting list stays accepted (R-O1);
    - the end date is not before today;
    - the start date is fixed once the programme has started or has patients (their start
      and their follow-ups, R-G4, are counted from it);
    - with patients enrolled or waiting, the end date may move later, never earlier (their
      sessions and follow-ups were announced to them: calendars, R-G4);
    - a future session that has a roll call is never dropped by a change of créneau.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    base = offer_errors(
        data=data, supervisors=supervisors, structure=offer.structure, coordinator=coordinator
    )
    errors: dict[str, list[ValidationError]] = dict(base.error_dict) if base is not None else {}

    def add(field: str, message: Any, code: str, **params: Any) -> None:
        errors.setdefault(field, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    active = list(
        Enrolment.objects.filter(offer=offer, status__in=Enrolment.ACTIVE_STATUSES).select_related(
            "prescription__assessment"
        )
    )
    enrolled = sum(1 for e in active if e.status == Enrolment.Status.ENROLLED)
    if rules.capacity_is_valid(data.capacity) and data.capacity < enrolled:  # R-G5, R-G2
        add(
            "capacity", MSG_CAPACITY_BELOW_ENROLLED, "offer_capacity_below_enrolled", count=enrolled
        )
    held = {_prescription_level(e.prescription) for e in active}
    for level in sorted(level for level in held if level is not None):
        if level not in data.levels:  # R-G5, R-O1
            add(
                "levels",
                MSG_LEVEL_IN_USE,
                "offer_level_in_use",
                level=LimitationLevel(level).label.lower(),
            )
    if data.end_date < today:
        add("end_date", MSG_END_PAST, "offer_end_past", today=today.strftime("%d/%m/%Y"))
    if data.start_date != offer.start_date and (offer.start_date <= today or active):
        add("start_date", MSG_START_LOCKED, "offer_start_locked")
    if active and data.end_date < offer.end_date:
        add("end_date", MSG_END_SHORTENED, "offer_end_shortened")
    if not errors:
        plan = _future_sessions(data.slots, data.start_date, data.end_date, now)
        dropped = (
            Session.objects.filter(offer=offer, starts_at__gt=now, attendances__isnull=False)
            .exclude(starts_at__in=list(plan))
            .order_by("starts_at")
            .first()
        )
        if dropped is not None:
            local = dropped.starts_at.astimezone(rules.PARIS)
            add("slots", MSG_SESSION_HELD, "offer_session_held", date=f"{local:%d/%m/%Y %H:%M}")
    return ValidationError(errors) if errors else None


def _future_sessions(
    slots: Sequence[rules.WeeklySlot], start: date, end: date, now: datetime
) -> dict[datetime, rules.DatedSession]:
    return {s.starts_at: s for s in rules.dated_sessions(slots, start, end) if s.starts_at > now}


@transaction.atomic
def offer_update(
    *,
    offer: Offer,
    by: User,
    data: OfferInput,
    supervisors: Sequence[User],
    coordinator: User | None = None,
    situations: Iterable[EligibilitySituation] = (),
    now: datetime | None = None,
) -> Offer:
    """Change a published offer (R-G5: never breaking what runs, `offer_update_errors`).

    Nothing is deleted and every change is kept (history): the créneaux are changed in place;
    the future sessions no créneau wants any more are cancelled with a reason (an edit that
    brings them back reinstates them); the new ones are generated from now on
    (`sessions_generate`), never in the past. More places go to the waiting list (R-G2); a
    later end schedules the enrolled patients' next follow-ups (R-G4); the care team of the
    programme's patients follows its team (`_programme_grants_follow_team`)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    locked = Offer.objects.select_for_update().select_related("structure").get(pk=offer.pk)
    if not may_edit_offer(by, locked):
        raise _error(MSG_EDIT_NOT_ALLOWED, "programme_edit_not_allowed")
    error = offer_update_errors(
        offer=locked, data=data, supervisors=supervisors, coordinator=coordinator, now=now
    )
    if error is not None:
        raise error
    team_members_before = _care_team_of(locked)
    team_before = {u.pk for u in team_members_before}
    old_end = locked.end_date
    if data.postal_code != locked.postal_code:
        locked.latitude, locked.longitude = geo.coordinates_of(data.postal_code) or (None, None)
    locked.title = data.title
    locked.activity = data.activity
    locked.place = data.place
    locked.postal_code = data.postal_code
    locked.start_date = data.start_date
    locked.end_date = data.end_date
    locked.capacity = data.capacity
    locked.coordinator = coordinator
    for level, name in rules.LEVEL_FIELDS.items():
        setattr(locked, name, level in data.levels)
    locked.full_clean()
    locked.save()
    locked.supervisors.set(supervisors)
    locked.situations.set(list(situations))
    _slots_replace(locked, data.slots)
    _sessions_replan(locked, now)
    while waiting_list_promote(offer=locked, today=today) is not None:  # R-G2: more places
        pass
    if locked.end_date > old_end:
        _follow_ups_extend(locked, old_end)
    team_after = _care_team_of(locked)
    team_after_ids = {u.pk for u in team_after}
    newcomers = [u for u in team_after if u.pk not in team_before]
    leavers = [u for u in team_members_before if u.pk not in team_after_ids]
    if newcomers or leavers:
        _programme_grants_follow_team(
            offer=locked, newcomers=newcomers, leavers=leavers, granted_by=by
        )
    return locked


def _programme_grants_follow_team(
    *, offer: Offer, newcomers: Sequence[User], leavers: Sequence[User], granted_by: User
) -> None:
    """The care team of an offer's patients follows its team: a new supervisor or coordinator
    joins it (a PROGRAMME grant, as at the referral), one who left the offer leaves it unless
    another offer of the patient's keeps them in (need-to-know)."""
    patient_ids = set(
        offer.enrolments.filter(status__in=Enrolment.ACTIVE_STATUSES).values_list(
            "patient_id", flat=True
        )
    ) | set(
        offer.referrals.filter(status__in=Referral.OPEN_STATUSES).values_list(
            "patient_id", flat=True
        )
    )
    for patient in Patient.objects.filter(pk__in=patient_ids).order_by("pk"):
        _lock_programme_grants(patient.pk)
        for member in newcomers:
            care_team_grant(
                patient=patient,
                user=member,
                reason=CareTeamGrant.Reason.PROGRAMME,
                granted_by=granted_by,
            )
        if leavers:
            _programme_grants_release(members=leavers, patient=patient)


def _slots_replace(offer: Offer, slots: Sequence[rules.WeeklySlot]) -> None:
    """The offer's créneaux become `slots`, changed in place (the history keeps each change).

    A créneau kept (same day and hour) keeps its row; a changed one takes the row of one that
    went. An offer whose créneaux predate R-G3's two (more rows than wanted) loses its extra
    rows, their deletion in the history."""
    current = {(row.weekday, row.start_time): row for row in offer.slots.all()}
    added = []
    for slot in slots:
        row = current.pop((slot.weekday, slot.start), None)
        if row is None:
            added.append(slot)
        elif row.minutes != slot.minutes:
            row.minutes = slot.minutes
            row.save(update_fields=["minutes"])
    leftovers = list(current.values())
    for slot in added:
        if leftovers:
            row = leftovers.pop(0)
            row.weekday, row.start_time, row.minutes = slot.weekday, slot.start, slot.minutes
            row.save(update_fields=["weekday", "start_time", "minutes"])
        else:
            Slot.objects.create(
                offer=offer, weekday=slot.weekday, start_time=slot.start, minutes=slot.minutes
            )
    for row in leftovers:
        row.delete()


def _sessions_replan(offer: Offer, now: datetime) -> None:
    """The future sessions follow the offer's créneaux and dates: those no longer wanted are
    cancelled (kept), those wanted again after an edit reinstated, their end adjusted to the
    créneau's duration; the missing ones generated. The past ones are never touched."""
    slots = [rules.WeeklySlot(s.weekday, s.start_time, s.minutes) for s in offer.slots.all()]
    plan = _future_sessions(slots, offer.start_date, offer.end_date, now)
    for session in Session.objects.select_for_update().filter(offer=offer, starts_at__gt=now):
        wanted = plan.get(session.starts_at)
        changed: list[str] = []
        if wanted is None:
            if session.cancelled_at is None:
                session.cancelled_at = now
                session.cancel_reason = SESSION_CANCELLED_BY_EDIT
                changed = ["cancelled_at", "cancel_reason"]
        else:
            if session.ends_at != wanted.ends_at:
                session.ends_at = wanted.ends_at
                changed.append("ends_at")
            if session.cancelled_at is not None and session.cancel_reason == (
                SESSION_CANCELLED_BY_EDIT
            ):
                session.cancelled_at = None
                session.cancel_reason = ""
                changed += ["cancelled_at", "cancel_reason"]
        if changed:
            session.save(update_fields=changed)
    sessions_generate(offer=offer, after=now)


def _follow_ups_extend(offer: Offer, old_end: date) -> None:
    """R-G4 after a later end: the enrolled patients' follow-ups up to the new end. The one
    held on the old end (the last, brought back from the day after) moves to its own date."""
    regular = old_end + timedelta(days=1)
    enrolments = offer.enrolments.filter(status=Enrolment.Status.ENROLLED, starts_on__isnull=False)
    for enrolment in enrolments:
        enrolment.offer = offer
        assert enrolment.starts_on is not None
        if regular in rules.follow_up_dates(enrolment.starts_on, offer.end_date):
            scheduled = {f.due_on: f for f in enrolment.follow_ups.all()}
            last = scheduled.get(old_end)
            if last is not None and last.done_on is None and regular not in scheduled:
                last.due_on = regular
                last.save(update_fields=["due_on"])
        _schedule_follow_ups(enrolment, enrolment.starts_on)


@transaction.atomic
def session_cancel(*, session: Session, by: User, reason: str) -> Session:
    """The structure cancels a session (a public holiday, a closed gymnasium): kept, marked."""
    locked = Session.objects.select_for_update().select_related("offer").get(pk=session.pk)
    if not may_manage_offer(by, locked.offer):
        raise _error(MSG_MANAGE_NOT_ALLOWED, "programme_not_allowed")
    if not reason.strip():
        raise _error(MSG_CANCEL_REASON, "session_cancel_reason", "reason")
    if locked.cancelled_at is None:
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason.strip()[:200]
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
    return locked


def _prescription_level(prescription: Prescription) -> int | None:
    assessment = getattr(prescription, "assessment", None)
    return None if assessment is None else int(assessment.confirmed_level)


def _check_eligibility(*, prescription: Prescription, offer: Offer, today: date) -> None:
    """R-G1: a running medical prescription; R-O1: a level the offer accepts."""
    if (
        prescription.status not in Prescription.RUNNING_STATUSES
        or prescription.current_end_date < today
    ):
        raise _error(MSG_PRESCRIPTION_NOT_RUNNING, "programme_prescription_not_running")
    level = _prescription_level(prescription)
    if level is None:
        raise _error(MSG_NO_LEVEL, "programme_no_level")
    if level not in offer.accepted_levels:
        raise _error(
            MSG_LEVEL_NOT_ACCEPTED,
            "programme_level_not_accepted",
            level=LimitationLevel(level).label.lower(),
        )
    if offer.end_date < today:
        raise _error(MSG_OFFER_ENDED, "programme_offer_ended")


def _care_team_of(offer: Offer) -> list[User]:
    team = list(offer.supervisors.all())
    if offer.coordinator is not None and offer.coordinator not in team:
        team.append(offer.coordinator)
    return team


def _lock_programme_grants(patient_id: Any) -> None:
    """Serialise the writes of a patient's PROGRAMME grants (a referral sent to one offer while
    another is refused or ends): the patient's row is locked, so the release below never reads
    the open referrals before a concurrent referral's grant is committed."""
    patient_lock(patient_id)


def _programme_grants_release(*, members: Sequence[User], patient: Patient) -> list[User]:
    """Need-to-know: a referral refused or ended takes the offer's team out of the patient's
    care team, and so does a member's leaving an offer's team (their PROGRAMME grant revoked,
    kept in the history), except the members still in the team of an offer the patient has an
    open referral to or an active enrolment in. Returns the members whose grant was revoked."""
    _lock_programme_grants(patient.pk)
    holding = set(
        Referral.objects.filter(patient=patient, status__in=Referral.OPEN_STATUSES).values_list(
            "offer_id", flat=True
        )
    ) | set(
        Enrolment.objects.filter(patient=patient, status__in=Enrolment.ACTIVE_STATUSES).values_list(
            "offer_id", flat=True
        )
    )
    keep: set[int] = set()
    if holding:
        keep |= set(
            User.objects.filter(supervised_offers__pk__in=holding).values_list("pk", flat=True)
        )
        keep |= set(
            Offer.objects.filter(pk__in=holding, coordinator__isnull=False).values_list(
                "coordinator_id", flat=True
            )
        )
    revoked = []
    for member in members:
        if member.pk in keep:
            continue
        if (
            care_team_revoke(patient=patient, user=member, reason=CareTeamGrant.Reason.PROGRAMME)
            is not None
        ):
            revoked.append(member)
    return revoked


@transaction.atomic
def referral_send(
    *, prescription: Prescription, offer: Offer, by: User, today: date | None = None
) -> Referral:
    """Orient the patient of `prescription` to `offer` (R-O1); the offer's professionals join
    the patient's care team (a PROGRAMME grant, re-activated when it had ended: they see the
    record to decide, then follow the patient), until the referral is refused or ends."""
    today = today or timezone.localdate()
    patient = prescription.patient
    if not may_orient_to_offer(by, patient):
        raise _error(MSG_ORIENT_NOT_ALLOWED, "programme_orient_not_allowed")
    _check_eligibility(prescription=prescription, offer=offer, today=today)
    _lock_programme_grants(patient.pk)
    if Referral.objects.filter(
        offer=offer, patient=patient, status__in=Referral.OPEN_STATUSES
    ).exists():
        raise _error(MSG_REFERRAL_OPEN, "referral_already_open")
    referral = Referral.objects.create(
        offer=offer, patient=patient, prescription=prescription, sent_by=by
    )
    for member in _care_team_of(offer):
        care_team_grant(
            patient=patient, user=member, reason=CareTeamGrant.Reason.PROGRAMME, granted_by=by
        )
    events.referral_sent.send(sender=Referral, referral=referral)
    return referral


@transaction.atomic
def referral_decide(*, referral: Referral, by: User, accept: bool, reason: str = "") -> Referral:
    """The offer's side accepts a referral, or refuses it with a reason the prescriber reads
    (a refusal takes the offer's team out of the patient's care team: need-to-know)."""
    locked = Referral.objects.select_for_update().select_related("offer").get(pk=referral.pk)
    if not may_manage_offer(by, locked.offer):
        raise _error(MSG_MANAGE_NOT_ALLOWED, "programme_not_allowed")
    if locked.status != Referral.Status.SENT:
        raise _error(MSG_REFERRAL_NOT_SENT, "referral_not_sent")
    if not accept and not reason.strip():
        raise _error(MSG_REASON_REQUIRED, "referral_reason_required", "reason")
    locked.status = Referral.Status.ACCEPTED if accept else Referral.Status.REFUSED
    locked.refusal_reason = "" if accept else reason.strip()[:500]
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    if not accept:
        _programme_grants_release(members=_care_team_of(locked.offer), patient=locked.patient)
    events.referral_decided.send(sender=Referral, referral=locked)
    return locked


def _schedule_follow_ups(enrolment: Enrolment, start: date) -> None:
    """R-G4: the follow-ups every 3 months from the patient's start, to the offer's end."""
    scheduled = set(enrolment.follow_ups.values_list("due_on", flat=True))
    bulk_create_with_history(
        [
            FollowUp(enrolment=enrolment, due_on=due)
            for due in rules.follow_up_dates(start, enrolment.offer.end_date)
            if due not in scheduled
        ],
        FollowUp,
    )


@transaction.atomic
def enrolment_create(
    *, referral: Referral, goals: str, by: User, today: date | None = None
) -> Enrolment:
    """Enrol the referred patient (R-G1: a running prescription, the goals of the initial
    consultation; R-O1: an accepted level). A seat when one is left (R-G2: the offer's row is
    locked, so two coordinators never take the same last seat), the waiting list otherwise."""
    today = today or timezone.localdate()
    offer = Offer.objects.select_for_update().get(pk=referral.offer_id)
    # The assessment is a nullable reverse join: lock the referral's row only.
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("prescription__assessment")
        .get(pk=referral.pk)
    )
    if not may_manage_offer(by, offer):
        raise _error(MSG_MANAGE_NOT_ALLOWED, "programme_not_allowed")
    if referral.status not in Referral.OPEN_STATUSES:
        raise _error(MSG_REFERRAL_CLOSED, "referral_closed")
    if not goals.strip():
        raise _error(MSG_GOALS_REQUIRED, "enrolment_goals_required", "goals")
    _check_eligibility(prescription=referral.prescription, offer=offer, today=today)
    if Enrolment.objects.filter(
        offer=offer, patient_id=referral.patient_id, status__in=Enrolment.ACTIVE_STATUSES
    ).exists():
        raise _error(MSG_ALREADY_ENROLLED, "enrolment_already")
    taken = Enrolment.objects.filter(offer=offer, status=Enrolment.Status.ENROLLED).count()
    seat = taken < offer.capacity
    enrolment = Enrolment.objects.create(
        offer=offer,
        patient_id=referral.patient_id,
        prescription=referral.prescription,
        referral=referral,
        status=Enrolment.Status.ENROLLED if seat else Enrolment.Status.WAITING,
        goals=goals.strip(),
        starts_on=max(today, offer.start_date) if seat else None,
        enrolled_by=by,
    )
    if referral.status == Referral.Status.SENT:
        referral.status = Referral.Status.ACCEPTED
        referral.decided_by = by
        referral.decided_at = timezone.now()
        referral.save(update_fields=["status", "decided_by", "decided_at"])
    if seat and enrolment.starts_on is not None:
        _schedule_follow_ups(enrolment, enrolment.starts_on)
    return enrolment


@transaction.atomic
def enrolment_end(
    *, enrolment: Enrolment, by: User, reason: str, today: date | None = None
) -> Enrolment:
    """A patient leaves the programme (or the waiting list). A freed seat goes to the first of
    the waiting list, who is told (a notification to the coordinator and the prescriber). The
    referral ends with it, and the offer's team leaves the patient's care team (need-to-know)
    unless another open referral or active enrolment keeps a member in it."""
    today = today or timezone.localdate()
    offer = Offer.objects.select_for_update().get(pk=enrolment.offer_id)
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if not may_manage_offer(by, offer):
        raise _error(MSG_MANAGE_NOT_ALLOWED, "programme_not_allowed")
    if locked.status == Enrolment.Status.ENDED:
        raise _error(MSG_ENROLMENT_ENDED, "enrolment_ended")
    freed = locked.status == Enrolment.Status.ENROLLED
    locked.status = Enrolment.Status.ENDED
    locked.ended_at = timezone.now()
    locked.end_reason = reason.strip()[:500]
    locked.save(update_fields=["status", "ended_at", "end_reason"])
    referral = locked.referral
    if referral is not None and referral.status in Referral.OPEN_STATUSES:
        referral.status = Referral.Status.ENDED
        referral.save(update_fields=["status"])  # a save: the history keeps it
    _programme_grants_release(members=_care_team_of(offer), patient=locked.patient)
    if freed:
        waiting_list_promote(offer=offer, today=today)
    return locked


def waiting_list_promote(*, offer: Offer, today: date) -> Enrolment | None:
    """Give a free seat to the first of the waiting list whose prescription still runs (the
    offer's row is locked by the caller). Sends `seat_offered`."""
    taken = Enrolment.objects.filter(offer=offer, status=Enrolment.Status.ENROLLED).count()
    if taken >= offer.capacity:
        return None
    waiting = (
        Enrolment.objects.select_for_update()
        .filter(
            offer=offer,
            status=Enrolment.Status.WAITING,
            prescription__status__in=Prescription.RUNNING_STATUSES,
            prescription__current_end_date__gte=today,
        )
        .order_by("created_at")
        .first()
    )
    if waiting is None:
        return None
    waiting.status = Enrolment.Status.ENROLLED
    waiting.starts_on = max(today, offer.start_date)
    waiting.save(update_fields=["status", "starts_on"])
    _schedule_follow_ups(waiting, waiting.starts_on)
    events.seat_offered.send(sender=Enrolment, enrolment=waiting)
    return waiting


@transaction.atomic
def attendance_record(
    *, session: Session, enrolment: Enrolment, present: bool, by: User
) -> Attendance:
    """The roll call: one patient present or absent at one session (changed as often as
    needed, every change kept). After N absences in a row (settings.
    APA_PROGRAMME_DROPOUT_ABSENCES) the coordinator and the prescriber are alerted, once."""
    session = Session.objects.select_related("offer").get(pk=session.pk)
    if not may_manage_offer(by, session.offer):
        raise _error(MSG_MANAGE_NOT_ALLOWED, "programme_not_allowed")
    if session.cancelled_at is not None:
        raise _error(MSG_SESSION_CANCELLED, "session_cancelled")
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.offer_id != session.offer_id or enrolment.status != Enrolment.Status.ENROLLED:
        raise _error(MSG_NOT_ENROLLED, "attendance_not_enrolled")
    before = _streak(enrolment)
    attendance, _created = Attendance.objects.update_or_create(
        session=session, enrolment=enrolment, defaults={"present": present, "recorded_by": by}
    )
    threshold: int = settings.APA_PROGRAMME_DROPOUT_ABSENCES
    after = _streak(enrolment)
    if before < threshold <= after:
        events.dropout_detected.send(sender=Enrolment, enrolment=enrolment, absences=after)
    return attendance


def _streak(enrolment: Enrolment) -> int:
    presences = (
        Attendance.objects.filter(enrolment=enrolment, session__cancelled_at__isnull=True)
        .order_by("session__starts_at")
        .values_list("present", flat=True)
    )
    return rules.absence_streak(presences)


@transaction.atomic
def follow_up_record(
    *,
    follow_up: FollowUp,
    by: User,
    effects: str,
    adjusted_goals: str,
    tolerance: str,
    share_agreement: bool,
    risk_flag: bool = False,
    risk_description: str = "",
    done_on: date | None = None,
) -> FollowUp:
    """R-G4: the follow-up consultation evaluates the effects and adjusts the goals. It is
    recorded as the dispensing side's compte rendu (R-B2, `bilans.services.
    progress_report_create`): by the professional who supervises the patient, after the signed
    entry bilan (refused otherwise: the follow-up stays due), with the period's sessions planned
    and attended counted from the roll calls; the compte rendu is issued (reference,
    verification code, PDF) and sent to the prescriber and the médecin traitant only with the
    patient's agreement (R-B4, `bilans.events.document_signed`)."""
    locked = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("enrolment__offer", "enrolment__patient")
        .get(pk=follow_up.pk)
    )
    if not may_manage_offer(by, locked.enrolment.offer):
        raise _error(MSG_MANAGE_NOT_ALLOWED, "programme_not_allowed")
    if locked.done_on is not None:
        raise _error(MSG_FOLLOW_UP_DONE, "follow_up_done")
    if not adjusted_goals.strip():
        raise _error(MSG_FOLLOW_UP_GOALS, "follow_up_goals", "adjusted_goals")
    today = timezone.localdate()
    done_on = done_on or today
    planned, attended = selectors.follow_up_sessions(follow_up=locked, until=done_on)
    progress = [
        str(MSG_REPORT_EFFECTS % {"text": effects.strip()}) if effects.strip() else "",
        str(MSG_REPORT_GOALS % {"text": adjusted_goals.strip()}),
    ]
    # Refused (nothing saved: one transaction) without the signed entry bilan, by someone who
    # does not supervise the patient (the offer's staff), or with a risk left unexplained.
    report = progress_report_create(
        patient=locked.enrolment.patient,
        author=by,
        values={
            "performed_on": done_on,
            "sessions_planned": planned,
            "sessions_done": attended,
            "tolerance": tolerance,
            "progress": "\n\n".join(p for p in progress if p),
            "share_agreement": share_agreement,
            "risk_flag": risk_flag,
            "risk_description": risk_description.strip() if risk_flag else "",
        },
        today=today,
    )
    locked.done_on = done_on
    locked.effects = effects.strip()
    locked.adjusted_goals = adjusted_goals.strip()
    locked.share_agreement = share_agreement
    locked.author = by
    locked.report = report
    locked.save()
    # No notification of its own: the compte rendu's `document_signed` already tells the
    # prescriber and the médecin traitant, with the patient's agreement (R-B4); a second one
    # would say the same thing twice.
    return locked


def session_time(value: datetime) -> time:
    """The local (Europe/Paris) wall-clock time of an instant."""
    return value.astimezone(rules.PARIS).time()
