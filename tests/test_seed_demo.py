"""`manage.py seed_demo`: idempotent demo data in every state, refused with the default password
when DEBUG is off."""

import pytest
from django.core.management import CommandError, call_command

from patients.models import CareTeamGrant, Patient
from patients.rules import nir_validate
from practitioners.models import Profession, Specialty, Structure, User
from prescriptions.models import LimitationAssessment, Prescription, Renewal

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "un-mot-de-passe-de-demo-robuste-2026"


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = STRONG_PASSWORD
    return settings


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Structure,
            User,
            Patient,
            Prescription,
            Renewal,
            LimitationAssessment,
            CareTeamGrant,
        )
    }


def test_seed_demo_is_idempotent(demo_settings):
    call_command("seed_demo", quiet=True)
    first = counts()
    call_command("seed_demo", quiet=True)
    assert counts() == first
    assert first["Patient"] > 0 and first["Prescription"] > 0


def test_seed_demo_creates_the_five_accounts_with_their_professions(demo_settings):
    call_command("seed_demo", quiet=True)
    accounts = {
        u.username: u
        for u in User.objects.filter(
            username__in=["medecin", "oncologue", "kine", "enseignant", "admin"]
        )
    }
    assert set(accounts) == {"medecin", "oncologue", "kine", "enseignant", "admin"}
    assert (accounts["medecin"].profession, accounts["medecin"].specialty) == (
        Profession.PHYSICIAN,
        Specialty.GENERAL_PRACTICE,
    )
    assert (accounts["oncologue"].profession, accounts["oncologue"].specialty) == (
        Profession.PHYSICIAN,
        Specialty.ONCOLOGY,
    )
    assert accounts["kine"].profession == Profession.PHYSIOTHERAPIST
    assert accounts["kine"].rpps  # R-R6 a): a physiotherapist who renews has an RPPS
    assert accounts["enseignant"].profession == Profession.APA_TEACHER
    assert accounts["admin"].is_superuser and accounts["admin"].is_staff
    for user in accounts.values():
        assert user.check_password(STRONG_PASSWORD)
        assert user.structure is not None


def test_seed_demo_creates_about_twenty_patients_with_valid_nirs(demo_settings):
    call_command("seed_demo", quiet=True)
    patients = list(Patient.objects.prefetch_related("situations"))
    assert 18 + 10 <= len(patients) <= 25 + 10  # and the group programme's ten
    for patient in patients:
        assert nir_validate(patient.nir) == patient.nir  # R-ID2, Corsica included
        assert patient.situations.all()  # R-E1
    assert {p.nir[5:7] for p in patients} >= {"2A", "2B"}


def test_seed_demo_creates_prescriptions_in_every_status(demo_settings):
    call_command("seed_demo", quiet=True)
    statuses = set(Prescription.objects.values_list("status", flat=True))
    assert statuses == set(Prescription.Status.values)
    kinds = set(Renewal.objects.values_list("kind", flat=True))
    assert kinds == {Renewal.Kind.RENEWAL, Renewal.Kind.ADAPTATION}
    # Something the demo physiotherapist may renew today (R-R3), with NON answered (R-R4).
    assert Prescription.objects.filter(
        status=Prescription.Status.ISSUED, physician_renewal_required=False
    ).exists()
    # A prescription whose physician answered OUI, with its indication (R-P3, R-R4).
    assert (
        Prescription.objects.filter(physician_renewal_required=True)
        .exclude(physician_renewal_reason="")
        .exists()
    )


def test_seed_demo_prints_the_logins(demo_settings, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username in ("medecin", "oncologue", "kine", "enseignant", "admin"):
        assert username in out
    assert STRONG_PASSWORD in out


def test_seed_demo_refuses_the_default_password_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "demo"
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo", quiet=True)
    assert not User.objects.exists()
    assert not Patient.objects.exists()


def test_seed_demo_accepts_the_default_password_in_debug(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo"
    call_command("seed_demo", quiet=True)
    assert User.objects.get(username="medecin").check_password("demo")


def test_seed_demo_if_empty_leaves_a_filled_database_alone(demo_settings, prescriber):
    call_command("seed_demo", "--if-empty", quiet=True)
    assert not User.objects.filter(username="kine").exists()
    assert not Patient.objects.exists()


def test_seed_demo_gives_the_admin_no_second_factor_nor_secret_without_debug(demo_settings, capsys):
    """Without DEBUG no key is made for the admin (nobody could read it: the account would be
    locked out): the admin enrols an authenticator app at the first login, and no secret, not
    even the published demo one, is printed."""
    from security.services import DEMO_TOTP_KEY_HEX, confirmed_device

    call_command("seed_demo")
    out = capsys.readouterr().out
    assert confirmed_device(User.objects.get(username="admin")) is None
    assert "première connexion" in out
    assert "GEZD GNBV" not in out and DEMO_TOTP_KEY_HEX not in out


def test_seed_demo_refuses_to_run_in_production(demo_settings):
    demo_settings.DJANGO_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", quiet=True)
    assert not User.objects.exists()


def test_seed_demo_gives_the_enseignant_patients_at_each_step(demo_settings):
    """D.1172-5: a newcomer sees the whole journey (entry bilan to do, signed, a compte rendu,
    a reported risk, an exit bilan), and the physiotherapist's demo renewal stays possible."""
    from django.utils import timezone  # noqa: PLC0415

    from bilans.models import EntryBilan, ExitBilan, ProgressReport  # noqa: PLC0415
    from bilans.selectors import next_steps  # noqa: PLC0415
    from prescriptions.services import renewal_risk_case  # noqa: PLC0415

    call_command("seed_demo", quiet=True)
    apa = User.objects.get(username="enseignant")
    assert EntryBilan.objects.filter(author=apa).exists()
    assert ProgressReport.objects.filter(author=apa, risk_flag=True).exists()
    assert ProgressReport.objects.filter(author=apa, risk_flag=False).exists()
    assert ExitBilan.objects.filter(author=apa, status="signed").exists()
    labels = {
        str(s.label)
        for s in next_steps(
            user=apa, today=timezone.localdate(), report_due_weeks=6, ending_days=30
        ).steps
    }
    assert "Bilan d'entrée à faire" in labels
    renewable = Prescription.objects.filter(
        status=Prescription.Status.ISSUED, physician_renewal_required=False
    )
    assert any(renewal_risk_case(p)[1] is None for p in renewable)


def test_seed_demo_has_one_patient_at_each_stage_of_the_post_cancer_pathway(demo_settings):
    """R-C1 to R-C4: to prescribe, too late, prescribed, under way, forfait used, window over."""
    from decimal import Decimal  # noqa: PLC0415

    from django.utils import timezone  # noqa: PLC0415

    from pathway.models import Booking, CancerEpisode, PathwayPrescription  # noqa: PLC0415
    from pathway.selectors import ledger  # noqa: PLC0415

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)  # idempotent
    assert CancerEpisode.objects.count() == 6
    assert CancerEpisode.objects.filter(pathway__isnull=True).count() == 2
    today = timezone.localdate()
    ledgers = {
        p.patient.birth_name: ledger(p, today=today) for p in PathwayPrescription.objects.all()
    }
    assert ledgers["Nguyen"].bookings == []
    assert ledgers["Bouvier"].used == Decimal("180.00") and ledgers["Bouvier"].remaining == 0
    assert ledgers["Lambert"].delivery_deadline < today
    assert Booking.objects.exclude(apa_project="").exists()  # R-C4
    assert ledgers["Fontaine"].booked == Decimal("22.50")


def test_seed_demo_holds_a_cami_like_programme_with_its_waiting_list_and_attendance(
    demo_settings,
):
    from programmes.models import Attendance, Enrolment, Offer

    call_command("seed_demo", quiet=True)
    offer = Offer.objects.get()
    statuses = list(offer.enrolments.values_list("status", flat=True))
    assert statuses.count(Enrolment.Status.ENROLLED) == 8
    assert statuses.count(Enrolment.Status.WAITING) == 2
    assert Attendance.objects.filter(session__offer=offer).count() > 8 * 10
    call_command("seed_demo", quiet=True)
    assert Offer.objects.count() == 1 and Enrolment.objects.count() == 10


def test_seed_demo_programme_patients_have_their_entry_bilan_for_the_follow_up(demo_settings):
    """R-G4 as a compte rendu (R-B2): the programme's enrolled patients have their signed entry
    bilan, so the enseignant records the first follow-up through the page's path."""
    from bilans.models import EntryBilan  # noqa: PLC0415
    from programmes.models import Enrolment, FollowUp  # noqa: PLC0415
    from programmes.services import follow_up_record  # noqa: PLC0415

    call_command("seed_demo", quiet=True)
    apa = User.objects.get(username="enseignant")
    enrolled = list(Enrolment.objects.filter(status=Enrolment.Status.ENROLLED))
    assert len(enrolled) == 8
    signed = set(
        EntryBilan.objects.filter(author=apa, status="signed").values_list("patient_id", flat=True)
    )
    assert {e.patient_id for e in enrolled} <= signed
    assert not FollowUp.objects.filter(done_on__isnull=False, report__isnull=True).exists()
    item = FollowUp.objects.filter(enrolment=enrolled[0]).order_by("due_on").first()
    done = follow_up_record(
        follow_up=item,
        by=apa,
        effects="Moins de fatigue",
        adjusted_goals="45 minutes",
        tolerance="good",
        share_agreement=True,
    )
    assert done.report is not None and done.report.sessions_planned
