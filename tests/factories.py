"""factory_boy factories. Prescriptions are built through the services, as the app does."""

from datetime import date

import factory
from django.utils import timezone

from patients.models import EligibilitySituation, Patient, Sex
from practitioners.models import Profession, Specialty, Structure, User
from prescriptions import services
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
    from practitioners.rules import luhn_is_valid

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


def prescription_content(**overrides) -> dict:
    today = timezone.localdate()
    content = {
        "prescribed_on": today,
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
    content.update(overrides)
    return content


def assessment_data(**overrides) -> dict:
    data = {
        "locomotor": LimitationLevel.MODERATE,
        "cerebral": LimitationLevel.NONE,
        "sensory": LimitationLevel.MINIMAL,
        "severe_indicators": [],
        "confirmed_level": LimitationLevel.MODERATE,
    }
    data.update(overrides)
    return data


def make_prescription(
    *, prescriber: User, patient: Patient, issue: bool = True, assessment=None, **content
) -> Prescription:
    """A prescription made through the services (draft, then issued unless `issue=False`)."""
    prescription = services.prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=prescription_content(**content),
        assessment=assessment_data() if assessment is None else assessment,
    )
    if issue:
        prescription = services.prescription_issue(prescription=prescription, by=prescriber)
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
