"""factory_boy factories. Prescriptions are built through the services, as the app does."""

import dataclasses
from datetime import date

import factory
from django.utils import timezone

from patients.models import EligibilitySituation, Patient, Sex
from patients.services import PatientData
from practitioners.models import Profession, Specialty, Structure, User
from practitioners.rules import luhn_is_valid
from prescriptions import services
from prescriptions.content import AssessmentInput, PrescriptionContent
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import ActivityType, Intensity, LimitationLevel


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Maison Sport-Santé n° {n}")
    kind = Structure.Kind.MAISON_SPORT_SANTE
    city = "Lyon"


def _rpps(n: int) -> str:
    """An 11-digit RPPS with a valid Luhn key (R-ID1)."""
    body = f"1{n:09d}"
    return next(body + str(d) for d in range(10) if luhn_is_valid(body + str(d)))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Durand{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    profession = Profession.ADMIN_STAFF
    structure = factory.SubFactory(StructureFactory)
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-de-test-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PhysicianFactory(UserFactory):
    profession = Profession.PHYSICIAN
    specialty = Specialty.GENERAL_PRACTICE
    first_name = "Claire"
    rpps = factory.Sequence(_rpps)


class PhysiotherapistFactory(UserFactory):
    profession = Profession.PHYSIOTHERAPIST
    first_name = "Julien"
    last_name = "Moreau"
    rpps = factory.Sequence(lambda n: _rpps(500_000 + n))


class ApaTeacherFactory(UserFactory):
    profession = Profession.APA_TEACHER
    first_name = "Sophie"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    birth_name = factory.Sequence(lambda n: f"Dupont{n}")
    first_names = "Hélène"
    birth_date = date(1956, 3, 12)
    sex = Sex.FEMALE

    @factory.post_generation
    def situations(obj, create, extracted, **kwargs):
        """Eligible by default (R-E1): an ALD. Pass `situations=[]` for an ineligible patient."""
        if not create:
            return
        codes = ["ald"] if extracted is None else extracted
        obj.situations.set(EligibilitySituation.objects.filter(code__in=codes))


def prescription_content(**overrides) -> PrescriptionContent:
    today = timezone.localdate()
    values = {
        "start_date": today,
        "duration_months": 3,
        "activity_types": [ActivityType.ENDURANCE, ActivityType.STRENGTH],
        "sessions_per_week": 2,
        "intensity": Intensity.MODERATE,
        "session_minutes": 45,
        "recommendations_text": "Marche nordique",
        "restriction_picks": [],
        "restrictions_text": "",
        "physician_renewal_required": False,
        "physician_renewal_reason": "",
        "patient_agreement": True,
    }
    values.update(overrides)
    return PrescriptionContent(**values)


def assessment_data(**overrides) -> AssessmentInput:
    values = {
        "locomotor": LimitationLevel.MODERATE,
        "cerebral": LimitationLevel.NONE,
        "sensory": LimitationLevel.MINIMAL,
        "severe_indicators": [],
        "confirmed_level": LimitationLevel.MODERATE,
    }
    values.update(overrides)
    return AssessmentInput(**values)


def make_prescription(
    *,
    prescriber: User,
    patient: Patient,
    issue: bool = True,
    assessment=None,
    prescribed_on: date | None = None,
    **content,
) -> Prescription:
    """A prescription made through the services (draft, then issued unless `issue=False`),
    written and signed on `prescribed_on` (today by default)."""
    prescription = services.prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=prescription_content(**content),
        assessment=assessment_data() if assessment is None else assessment,
        today=prescribed_on,
    )
    if issue:
        prescription = services.prescription_issue(
            prescription=prescription, by=prescriber, today=prescribed_on
        )
    return prescription


def renew(
    prescription: Prescription,
    physiotherapist: User,
    *,
    today: date | None = None,
    kind: str = Renewal.Kind.RENEWAL,
    duration_months: int = 3,
) -> Renewal:
    """The physiotherapist's renewal (or adaptation) through the service, with the patient's
    agreement and the attestation, on the prescription's end date (R-R3) unless `today`."""
    return services.prescription_renew(
        prescription=prescription,
        physiotherapist=physiotherapist,
        kind=kind,
        duration_months=duration_months,
        patient_agreement=True,
        no_risk_attestation=True,
        today=today or prescription.end_date,
    )


def patient_data(patient: Patient, **changes) -> PatientData:
    """The patient's current fields with `changes`, as the services take them."""
    return dataclasses.replace(PatientData.of(patient), **changes)


def look_up(prescription: Prescription, physiotherapist: User):
    """The physiotherapist's look-up of `prescription` (its reference and birth date proven)."""
    return services.prescription_access_grant(prescription=prescription, user=physiotherapist)


# --- Bilans (CSP D.1172-5) ----------------------------------------------------------------------
def bilan_values(**overrides) -> dict:
    """A complete entry or exit bilan's tests and motivational bilan, as the services take them."""
    from decimal import Decimal  # noqa: PLC0415

    values = {
        "six_minute_walk_m": 400,
        "sit_to_stand_reps": 11,
        "tug_seconds": Decimal("13.5"),
        "one_leg_stance_seconds": Decimal("8.0"),
        "handgrip_kg": None,
        "handgrip_kg_not_done": "pain",
        "weight_kg": Decimal("82.0"),
        "height_cm": 170,
        "waist_cm": 98,
        "borg_scale": "rpe",
        "borg_value": Decimal("13"),
        "activity_items": [2, 2, 1, 3, 2, 1, 2, 2, 1],
        "stage": "preparation",
        "goals": "Marcher 30 minutes sans s'arrêter",
        "barriers": "Peur de la chute",
        "resources": "Soutien de sa fille",
        "share_agreement": True,
    }
    values.update(overrides)
    return values


def programme_values(**overrides) -> dict:
    values = {
        "programme_activity_types": ["endurance", "balance"],
        "programme_intensity": "moderate",
        "programme_sessions_per_week": 2,
        "programme_session_minutes": 60,
        "programme_sessions_total": 24,
        "programme_place": "group",
    }
    values.update(overrides)
    return values


def make_entry_bilan(patient: Patient, author: User, *, sign: bool = True, **overrides):
    from bilans import services as bilan_services  # noqa: PLC0415

    bilan = bilan_services.entry_bilan_save(
        patient=patient,
        author=author,
        values={**bilan_values(), **programme_values(), **overrides},
    )
    if sign:
        bilan = bilan_services.entry_bilan_sign(bilan=bilan, by=author)
    return bilan


def make_report(patient: Patient, author: User, *, today=None, **overrides):
    from bilans import services as bilan_services  # noqa: PLC0415

    values = {
        "sessions_planned": 8,
        "sessions_done": 7,
        "tolerance": "good",
        "progress": "Marche 20 minutes",
        "share_agreement": True,
        "risk_flag": False,
        "risk_description": "",
    }
    values.update(overrides)
    return bilan_services.progress_report_create(
        patient=patient, author=author, values=values, today=today
    )


def make_pathway(
    patient: Patient, *, prescriber: User, structure: Structure, professional: User, by: User
):
    """A post-cancer pathway (R-C1) delivered by `structure` (conventioned here), with one
    physical-activity bilan booked by `by` with `professional`: (episode, pathway, booking)."""
    from datetime import timedelta

    from pathway import services as pathway_services
    from pathway.models import Convention
    from pathway.rules import Kind

    today = timezone.localdate()
    Convention.objects.get_or_create(
        structure=structure, number=f"ARS-{structure.pk}", defaults={"starts_on": date(2021, 1, 1)}
    )
    episode = pathway_services.episode_record(
        patient=patient,
        by=prescriber,
        localisation="Sein",
        treatment_end=today - timedelta(days=60),
        ald=True,
    )
    pathway = pathway_services.pathway_prescribe(
        episode=episode,
        by=prescriber,
        structure=structure,
        kinds=[Kind.BILAN_PHYSICAL, Kind.BILAN_DIETARY, Kind.BILAN_PSYCHOLOGICAL],
        prescribed_on=today - timedelta(days=30),
    )
    booking = pathway_services.booking_create(
        pathway=pathway,
        by=by,
        kind=Kind.BILAN_PHYSICAL,
        scheduled_on=today - timedelta(days=20),
        professional=professional,
    )
    return episode, pathway, booking


def make_offer(
    *,
    structure: Structure,
    supervisors: list[User],
    coordinator: User | None = None,
    levels=(1, 2),
    start: date | None = None,
    months: int = 6,
    capacity: int = 8,
    postal_code: str = "69003",
    title: str = "Programme sport santé",
    slots=None,
    situations=(),
):
    """A published offer through the service (R-G2, R-G3, R-O1), two créneaux a week."""
    from datetime import time

    from prescriptions.rules import period_end
    from programmes import rules as programme_rules
    from programmes.services import OfferInput, offer_create

    start = start or timezone.localdate()
    data = OfferInput(
        title=title,
        activity="Renforcement et endurance",
        levels=list(levels),
        place="Gymnase municipal",
        postal_code=postal_code,
        start_date=start,
        end_date=period_end(start, months),
        slots=slots
        or [
            programme_rules.WeeklySlot(0, time(18, 0), 60),
            programme_rules.WeeklySlot(3, time(18, 0), 60),
        ],
        capacity=capacity,
    )
    return offer_create(
        structure=structure,
        data=data,
        supervisors=supervisors,
        coordinator=coordinator,
        situations=situations,
    )
