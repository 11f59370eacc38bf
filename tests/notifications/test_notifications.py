"""R-R7: the prescriber is informed of a renewal or an adaptation, confidentially.

The in-app notification reaches the prescriber only; the e-mail holds no health data; the
prescriber sees what changed, and the prescription stays flagged until read.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone

from notifications.models import Notification
from prescriptions import services
from prescriptions.content import Recommendations
from prescriptions.models import Renewal
from prescriptions.rules import ActivityType, Intensity, add_months
from prescriptions.selectors import renewals_unread_by
from tests import factories

INBOX = "/notifications/"
FLAG = "par un masseur-kinésithérapeute — non lue"


def _ending_soon() -> dict:
    start = add_months(timezone.localdate() + timedelta(days=11), -3)
    return {"prescribed_on": start, "start_date": start, "duration_months": 3}


@pytest.fixture
def prescription(prescriber, patient):
    return factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        recommendations_text="Marche nordique sur terrain plat",
        **_ending_soon(),
    )


def _renew(prescription, physio, kind=Renewal.Kind.ADAPTATION) -> Renewal:
    factories.look_up(prescription, physio)
    return services.prescription_renew(
        prescription=prescription,
        physiotherapist=physio,
        kind=kind,
        duration_months=4,
        patient_agreement=True,
        no_risk_attestation=True,
        adaptations=Recommendations(
            **{
                "activity_types": [ActivityType.BALANCE],
                "sessions_per_week": 3,
                "intensity": Intensity.LIGHT,
                "session_minutes": 40,
                "recommendations_text": "Tai-chi adapté en groupe",
            }
        )
        if kind == Renewal.Kind.ADAPTATION
        else None,
    )


@pytest.fixture
def renewal(prescription, physiotherapist):
    return _renew(prescription, physiotherapist)


# --- Who is notified ---------------------------------------------------------------------------
def test_the_notification_reaches_the_prescriber_only(
    renewal, prescriber, colleague_physician, physiotherapist, client
):
    notification = Notification.objects.get()
    assert notification.recipient == prescriber
    assert notification.renewal == renewal and notification.prescription == renewal.prescription
    assert notification.kind == Notification.Kind.PRESCRIPTION_ADAPTED
    assert notification.read_at is None

    client.force_login(colleague_physician)  # same structure, sees the patient: not notified
    response = client.get(INBOX)
    assert renewal.prescription.reference not in response.content.decode()
    assert client.get(notification.get_absolute_url()).status_code == 404


def test_a_plain_renewal_is_notified_as_such(prescription, physiotherapist):
    _renew(prescription, physiotherapist, kind=Renewal.Kind.RENEWAL)
    assert Notification.objects.get().kind == Notification.Kind.PRESCRIPTION_RENEWED


def test_a_refused_renewal_notifies_nobody(prescription, physiotherapist, mailoutbox):
    with pytest.raises(services.ValidationError):
        services.prescription_renew(
            prescription=prescription,
            physiotherapist=physiotherapist,
            kind=Renewal.Kind.RENEWAL,
            duration_months=4,
            patient_agreement=False,
            no_risk_attestation=True,
        )
    assert not Notification.objects.exists() and mailoutbox == []


# --- The e-mail --------------------------------------------------------------------------------
def test_the_email_goes_to_the_prescriber_after_commit_and_holds_no_health_data(
    prescription,
    physiotherapist,
    prescriber,
    patient,
    mailoutbox,
    django_capture_on_commit_callbacks,
    settings,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        renewal = _renew(prescription, physiotherapist)
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [prescriber.email]
    text = f"{mail.subject}\n{mail.body}"
    assert settings.SITE_URL.rstrip("/") + "/notifications/" in text  # a link to log in
    birth = patient.birth_date
    forbidden = [
        patient.birth_name,
        patient.birth_name.upper(),
        patient.first_names,
        formats.date_format(birth, "d/m/Y"),
        birth.isoformat(),
        str(birth.year),
        prescription.reference,
        prescription.verification_code,
        "Marche nordique",
        "Tai-chi",
        "Équilibre",
        "Borg",
        renewal.physio_last_name,
        renewal.physio_rpps,
        "ALD",
    ]
    for secret in forbidden:
        assert secret not in text, secret


def test_the_email_links_to_the_inbox_on_the_configured_site(
    renewal, mailoutbox, settings, prescription, physiotherapist, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://apa.example.fr/"
    other = factories.make_prescription(
        prescriber=prescription.prescriber, patient=prescription.patient, **_ending_soon()
    )
    with django_capture_on_commit_callbacks(execute=True):
        _renew(other, physiotherapist, kind=Renewal.Kind.RENEWAL)
    assert "https://apa.example.fr/notifications/" in mailoutbox[-1].body


def test_a_rolled_back_renewal_sends_no_email(
    prescription, physiotherapist, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                _renew(prescription, physiotherapist)
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_a_mail_server_failure_does_not_break_the_renewal(
    prescription, physiotherapist, settings, django_capture_on_commit_callbacks, monkeypatch
):
    import notifications.services

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications.services, "send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _renew(prescription, physiotherapist)  # robust on_commit: logged, not raised
    assert Renewal.objects.count() == 1


# --- The inbox ---------------------------------------------------------------------------------
def test_the_inbox_lists_unread_first_and_the_navbar_counts_them(
    client, prescriber, physiotherapist, patient, renewal
):
    second = factories.make_prescription(prescriber=prescriber, patient=patient, **_ending_soon())
    _renew(second, physiotherapist, kind=Renewal.Kind.RENEWAL)
    first_notification = Notification.objects.get(renewal=renewal)
    first_notification.read_at = timezone.now()
    first_notification.save()

    client.force_login(prescriber)
    html = client.get(INBOX).content.decode()
    assert html.index(second.reference) < html.index(renewal.prescription.reference)
    assert 'rounded-pill text-bg-warning">1<' in html  # navbar: one unread

    html = client.get(reverse("home")).content.decode()
    assert 'rounded-pill text-bg-warning">1<' in html


def test_opening_a_notification_shows_what_changed_without_marking_it_read(
    client, prescriber, renewal
):
    """F10: a GET changes nothing (a cross-site link must not clear the unread signal)."""
    client.force_login(prescriber)
    notification = Notification.objects.get()
    response = client.get(notification.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "prescriptions:changes", kwargs={"pk": renewal.prescription_id}
    )
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client.post(notification.get_absolute_url()).status_code == 405


def test_a_notification_is_marked_read_by_a_post_of_its_recipient_only(
    client, prescriber, colleague_physician, renewal
):
    notification = Notification.objects.get()
    url = reverse("notifications:read", kwargs={"pk": notification.pk})
    client.force_login(colleague_physician)
    assert client.post(url).status_code == 404
    client.force_login(prescriber)
    assert client.get(url).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None
    response = client.post(url)
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_the_read_buttons_are_csrf_protected(prescriber, renewal):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    notification = Notification.objects.get()
    changes_read = reverse("prescriptions:changes_read", kwargs={"pk": renewal.prescription_id})
    assert client.post(changes_read).status_code == 403
    read = reverse("notifications:read", kwargs={"pk": notification.pk})
    assert client.post(read).status_code == 403
    renewal.refresh_from_db()
    notification.refresh_from_db()
    assert renewal.prescriber_read_at is None and notification.read_at is None


def test_mark_all_as_read(client, prescriber, physiotherapist, patient, renewal):
    second = factories.make_prescription(prescriber=prescriber, patient=patient, **_ending_soon())
    _renew(second, physiotherapist)
    client.force_login(prescriber)
    assert client.get(reverse("notifications:read_all")).status_code == 405  # POST only
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Toutes les notifications sont marquées comme lues." in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_inbox_queries_do_not_grow_with_the_notifications(
    client, prescriber, physiotherapist, patient, django_assert_max_num_queries
):
    for _ in range(6):
        p = factories.make_prescription(prescriber=prescriber, patient=patient, **_ending_soon())
        _renew(p, physiotherapist)
    client.force_login(prescriber)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 paginator count, 5 navbar unread
    # count, 6 the page of notifications with prescription, patient and renewal joined,
    # 7 the audit insert (naming the patients named), 8 release savepoint
    with django_assert_max_num_queries(8):
        response = client.get(INBOX)
    assert response.content.decode().count("Prescription adaptée") == 6


# --- The flag until read -----------------------------------------------------------------------
def test_the_prescription_is_flagged_until_the_prescriber_marks_the_changes_read(
    client, prescriber, colleague_physician, renewal
):
    assert list(renewals_unread_by(prescriber)) == [renewal]
    client.force_login(prescriber)
    # The flag names what the physiotherapist did (an adaptation is not a renewal).
    did = "Adaptée" if renewal.kind == "adaptation" else "Renouvelée"
    assert f"{did} {FLAG}" in client.get(reverse("home")).content.decode()

    changes = reverse("prescriptions:changes", kwargs={"pk": renewal.prescription_id})
    mark_read = reverse("prescriptions:changes_read", kwargs={"pk": renewal.prescription_id})
    # A colleague reading the page, or trying the button, does not clear the prescriber's flag.
    other = client_class_login(colleague_physician)
    page = other.get(changes)
    assert page.status_code == 200
    assert "Marquer comme lu" not in page.content.decode()
    assert other.post(mark_read).status_code == 403
    renewal.refresh_from_db()
    assert renewal.prescriber_read_at is None

    # F10: the prescriber opening the page (a GET) changes nothing; the button does.
    page = client.get(changes)
    assert page.status_code == 200
    assert mark_read in page.content.decode() and "Marquer comme lu" in page.content.decode()
    assert client.get(mark_read).status_code == 405
    renewal.refresh_from_db()
    assert renewal.prescriber_read_at is None
    assert Notification.objects.get().read_at is None
    assert list(renewals_unread_by(prescriber)) == [renewal]

    response = client.post(mark_read)
    assert response.status_code == 302 and response["Location"] == changes
    renewal.refresh_from_db()
    assert renewal.prescriber_read_at is not None
    assert Notification.objects.get().read_at is not None
    assert list(renewals_unread_by(prescriber)) == []
    assert FLAG not in client.get(reverse("home")).content.decode()
    assert "Marquer comme lu" not in client.get(changes).content.decode()


def client_class_login(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_the_flag_is_not_shown_to_another_physician(colleague_physician, renewal):
    assert list(renewals_unread_by(colleague_physician)) == []


def test_a_physiotherapist_has_the_look_up_and_an_inbox(client, physiotherapist):
    """A physiotherapist's task is the look-up; the inbox is there too, as for everyone: the
    referrals to the group programmes they supervise reach them there."""
    client.force_login(physiotherapist)
    html = client.get(reverse("home")).content.decode()
    assert 'href="/notifications/"' in html
    assert 'href="/prescriptions/lookup/"' in html


def test_the_unread_count_is_shown_beside_the_menu_button_on_narrow_screens(
    client, prescriber, renewal
):
    client.force_login(prescriber)
    html = client.get(reverse("home")).content.decode()
    # Outside the collapsed menu (before its toggler), hidden only from 992 px up.
    beside = html.split('class="navbar-toggler"')[0]
    assert 'd-lg-none" href="/notifications/"' in beside
    assert '>1</span> <span class="small">notification non lue</span>' in beside
