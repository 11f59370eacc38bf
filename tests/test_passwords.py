"""Passwords: every user changes their own; « mot de passe oublié » by e-mail reveals nothing of
whether an account exists, carries no health data, and is throttled."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

# The reset e-mail leaves from a background task: run at once, so that the outbox holds it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

PASSWORD = "motdepasse-de-test-42"
NEW_PASSWORD = "une nouvelle phrase de passe 2026"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


# --- Change -------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["prescriber", "physiotherapist", "apa_teacher"])
def test_every_user_can_change_their_password(request, client, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    account = client.get(reverse("security:account")).content.decode()
    assert reverse("security:password_change") in account
    assert client.get(reverse("security:password_change")).status_code == 200
    url = reverse("security:password_change")
    refused = client.post(
        url,
        {
            "old_password": "pas le bon",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert refused.status_code == 200 and "is-invalid" in refused.content.decode()
    response = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("security:account")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("patients:list")).status_code == 200  # still logged in


def test_guessing_the_current_password_from_a_session_is_throttled(client, prescriber, settings):
    client.force_login(prescriber)
    url = reverse("security:password_change")
    # A right current password with a refused new one is not a guess: not counted.
    for _ in range(settings.APA_PASSWORD_CHANGE_MAX_ATTEMPTS + 1):
        data = {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"}
        assert client.post(url, data).status_code == 200
    for _ in range(settings.APA_PASSWORD_CHANGE_MAX_ATTEMPTS):
        data = {
            "old_password": "devine",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        }
        assert client.post(url, data).status_code == 200
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post(url, data).status_code == 429
    prescriber.refresh_from_db()
    assert prescriber.check_password(PASSWORD)


# --- Reset by e-mail ----------------------------------------------------------------------------
def _reset(client: Client, email: str):
    return client.post(reverse("security:password_reset"), {"email": email})


def test_the_login_page_links_to_the_password_reset(client):
    assert reverse("security:password_reset") in client.get(reverse("login")).content.decode()


def test_a_reset_answers_the_same_whether_the_account_exists_or_not(client, prescriber, mailoutbox):
    known = _reset(client, prescriber.email)
    unknown = _reset(client, "personne@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("security:password_reset_done")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [prescriber.email]
    page = client.get(known.url)
    assert page.status_code == 200 and "Si un compte correspond" in page.content.decode()


def test_the_reset_link_sets_a_new_password_and_the_mail_carries_no_health_data(
    client, prescriber, issued_prescription, mailoutbox, settings
):
    settings.SITE_URL = "https://apa.example.fr"
    patient = issued_prescription.patient
    # The Host header is not where the link comes from.
    _reset(client, prescriber.email)
    mail = mailoutbox[0]
    body = mail.subject + mail.body
    health_data = [patient.birth_name, patient.first_names, issued_prescription.reference]
    assert all(health_data)
    for value in health_data + [patient.nir or patient.birth_name]:
        assert value not in body
    assert "réinitialisation" in mail.subject.lower()
    link = re.search(r"https://apa\.example\.fr(/\S+)", mail.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done.url == reverse("security:password_reset_complete")
    assert client.get(done.url).status_code == 200
    assert _login(Client(), "medecin", NEW_PASSWORD).status_code == 302
    # The link served once.
    assert "plus valable" in client.get(link, follow=True).content.decode()


def test_reset_e_mails_to_one_address_are_throttled_silently(
    client, prescriber, mailoutbox, settings
):
    for _ in range(settings.APA_PASSWORD_RESET_MAX_PER_EMAIL):
        assert _reset(client, prescriber.email).status_code == 302
    more = _reset(Client(REMOTE_ADDR="192.0.2.77"), prescriber.email.upper())
    assert more.status_code == 302 and more.url == reverse("security:password_reset_done")
    assert len(mailoutbox) == settings.APA_PASSWORD_RESET_MAX_PER_EMAIL


def test_reset_requests_from_one_address_are_throttled(client, mailoutbox, settings):
    for i in range(settings.APA_PASSWORD_RESET_MAX_PER_IP):
        assert _reset(client, f"quelquun{i}@example.org").status_code == 302
    assert _reset(client, "encore@example.org").status_code == 429
    assert _reset(Client(REMOTE_ADDR="192.0.2.78"), "autre@example.org").status_code == 302


def test_a_bad_reset_link_is_refused_in_french(client):
    url = reverse("security:password_reset_confirm", args=["MQ", "faux-jeton"])
    page = client.get(url)
    assert page.status_code == 200 and "plus valable" in page.content.decode()


def test_the_password_pages_make_few_queries(client, prescriber, django_assert_max_num_queries):
    # Each request: the savepoint and its release (ATOMIC_REQUESTS) besides the queries named.
    with django_assert_max_num_queries(2):  # none
        assert client.get(reverse("security:password_reset")).status_code == 200
    with django_assert_max_num_queries(3):  # the users with this address
        assert _reset(client, "personne@example.org").status_code == 302
    client.force_login(prescriber)
    with django_assert_max_num_queries(5):  # session, user, the unread notifications (menu)
        assert client.get(reverse("security:password_change")).status_code == 200


def test_the_reset_e_mail_is_sent_off_the_request_without_a_token_in_the_queue(
    client, prescriber, mailoutbox, settings
):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    _reset(client, prescriber.email)
    _reset(client, "personne@example.org")
    assert mailoutbox == []  # nothing sent by the request itself, account or not
    (queued,) = default_task_backend.results
    assert queued.args == [prescriber.pk, prescriber.email]


def test_a_reset_password_does_not_skip_the_second_factor(client, mailoutbox, otp_enforced):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    root = factories.UserFactory(username="racine", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=root, name="app", confirmed=True)
    _reset(client, root.email)
    link = re.search(r"https?://\S+?(/accounts/\S+)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    browser = Client()
    assert _login(browser, "racine", NEW_PASSWORD).status_code == 302
    response = browser.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:otp_verify"))
