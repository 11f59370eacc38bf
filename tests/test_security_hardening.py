"""Second round of the security audit: durable OTP throttling, the client's real address behind
a trusted proxy, per-account login limits, Cache-Control and the absolute session lifetime."""

from datetime import UTC, datetime, timedelta

import django_otp
import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.middleware import NoStoreMiddleware
from security.models import SecurityEvent
from tests import factories

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


# --- Cache-Control ------------------------------------------------------------------------------
def test_every_page_of_a_logged_in_user_is_no_store_and_private(client, prescriber, patient):
    client.force_login(prescriber)
    for url in (
        reverse("home"),
        reverse("patients:list"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("security:account"),
    ):
        directives = {
            d.strip() for d in client.get(url).headers.get("Cache-Control", "").split(",")
        }
        assert {"no-store", "private"} <= directives, url


def test_no_store_keeps_what_a_view_set_and_replaces_public(prescriber):
    def view(request):
        response = HttpResponse("ok")
        response["Cache-Control"] = "public, no-cache, must-revalidate"
        return response

    request = RequestFactory().get("/")
    request.user = prescriber
    directives = {
        d.strip() for d in NoStoreMiddleware(view)(request).headers["Cache-Control"].split(",")
    }
    assert directives == {"no-store", "private", "no-cache", "must-revalidate"}


# --- Absolute session lifetime ----------------------------------------------------------------
def test_an_active_session_ends_12_hours_after_the_login(client, prescriber, settings):
    assert settings.SESSION_ABSOLUTE_AGE == 12 * 60 * 60
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(prescriber)
        key = client.session.session_key
        # Active every 20 minutes: the idle timeout (30 min) never ends it.
        for _ in range(12 * 3 - 1):
            traveller.shift(timedelta(minutes=20))
            assert client.get(reverse("security:account")).status_code == 200
        traveller.shift(timedelta(minutes=20))  # 12 h after the login
        response = client.get(reverse("security:account"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert not Session.objects.filter(session_key=key).exists()
        assert client.get(reverse("patients:list")).status_code == 302


# --- Second factor: durable throttling and lock-out -----------------------------------------
OTP_URL = "/accounts/otp/verify/"


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    import time

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def _wrong_codes(device: TOTPDevice, count: int) -> list[str]:
    accepted = {_code(device, step) for step in (-1, 0, 1)}  # django-otp's tolerance
    codes = (f"{(int(_code(device)) + 7919 * i) % 1_000_000:06d}" for i in range(1, 100))
    return [c for c in codes if c not in accepted][:count]


def _verified_admin_client() -> Client:
    root = factories.UserFactory(username="racine", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    device = TOTPDevice.objects.create(user=root, name="test", confirmed=True)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_brute_forcing_the_second_factor_is_throttled_and_counted(client, otp_enforced):
    assert reverse("security:otp_verify") == OTP_URL
    admin = factories.UserFactory(username="chef", is_staff=True, is_superuser=True)
    with time_machine.travel(START, tick=False) as traveller:
        device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
        client.force_login(admin)
        for guess in _wrong_codes(device, 20):
            assert client.post(OTP_URL, {"token": guess}).status_code in (400, 429)
        device.refresh_from_db()
        # The first guess was checked and its failure kept; the 19 others came within the
        # delay it set and were refused without being checked.
        assert device.throttling_failure_count == 1
        assert SecurityEvent.objects.filter(kind="otp_failure", user=admin).count() == 1
        # Even the right code is refused until the delay has passed.
        refused = client.post(OTP_URL, {"token": _code(device), "next": "/admin/"})
        assert refused.status_code == 429
        assert "attendez 1 seconde(s)" in refused.content.decode()
        assert client.get(reverse("admin:index")).status_code == 302
        traveller.shift(timedelta(seconds=1))
        accepted = client.post(OTP_URL, {"token": _code(device), "next": "/admin/"})
        assert accepted.status_code == 302 and accepted.url == "/admin/"
        device.refresh_from_db()
        assert device.throttling_failure_count == 0


@pytest.mark.django_db(transaction=True)
def test_a_wrong_code_is_counted_in_a_committed_transaction(otp_enforced):
    user = factories.PhysicianFactory(username="medecin-otp")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    client.post(OTP_URL, {"token": _wrong_codes(device, 1)[0]})
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1


def test_wrong_codes_lock_the_second_factor_until_an_administrator_unlocks_it(
    client, prescriber, otp_enforced, settings
):
    settings.APA_OTP_MAX_FAILURES = 4
    with time_machine.travel(START, tick=False) as traveller:
        device = TOTPDevice.objects.create(user=prescriber, name="app", confirmed=True)
        client.force_login(prescriber)
        wrong = _wrong_codes(device, 1)[0]
        for failures in range(1, 5):
            client.post(OTP_URL, {"token": wrong})
            device.refresh_from_db()
            assert device.throttling_failure_count == failures
            delay = timedelta(seconds=2 ** (failures - 1))  # growing delays: 1, 2, 4, 8 s
            traveller.shift(delay - timedelta(milliseconds=10))
            client.post(OTP_URL, {"token": wrong})  # too early: refused, not even counted
            device.refresh_from_db()
            assert device.throttling_failure_count == failures
            traveller.shift(timedelta(milliseconds=10))
        # Locked: long after the last delay (8 s), the right code is still refused.
        traveller.shift(timedelta(minutes=20))
        locked = client.post(OTP_URL, {"token": _code(device)})
        assert locked.status_code == 429
        assert "est bloquée" in locked.content.decode()
        assert client.get(reverse("patients:list")).status_code == 302
        lockout = SecurityEvent.objects.get(kind="otp_lockout")
        assert lockout.user == prescriber and lockout.ip_address == "127.0.0.1"

        # The administrators see it, and lift it.
        admin = _verified_admin_client()
        page = admin.get(reverse("admin:security_securityevent_changelist"))
        assert page.status_code == 200
        assert "Double authentification bloquée" in page.content.decode()
        admin.post(
            reverse("admin:security_securityevent_changelist"),
            {"action": "unlock_second_factor", "_selected_action": [lockout.pk]},
        )
        assert SecurityEvent.objects.filter(kind="otp_unlock", user=prescriber).exists()
        traveller.shift(timedelta(seconds=1))
        assert client.post(OTP_URL, {"token": _code(device)}).status_code == 302
        assert client.get(reverse("patients:list")).status_code == 200


def test_the_otp_unlock_command_lifts_a_lockout(prescriber, settings, capsys):
    device = TOTPDevice.objects.create(
        user=prescriber, name="app", confirmed=True, throttling_failure_count=10
    )
    call_command("otp_unlock", "medecin")
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert "débloquée" in capsys.readouterr().out


# --- The client's address behind a trusted proxy ------------------------------------------------
def _request(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "10.0.0.1", "198.51.100.7", "10.0.0.1"),  # by default the header is never read
        (["10.0.0.1"], "203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not from the proxy
        (["10.0.0.1"], "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        (["10.0.0.1"], "10.0.0.1", "192.0.2.10, 198.51.100.7", "198.51.100.7"),  # spoofed left
        (["10.0.0.0/24"], "10.0.0.1", "192.0.2.10, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (["10.0.0.1"], "10.0.0.1", "", "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "<script>, ' OR 1=1", "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "198.51.100.7:4711", "198.51.100.7"),
        (["::1"], "::1", "[2001:db8::7]:443", "2001:db8::7"),
        (["10.0.0.1"], "10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"),
        (["10.0.0.1"], "", "198.51.100.7", None),
    ],
)
def test_the_client_address_is_read_from_a_trusted_proxy_only(
    settings, trusted, remote, forwarded, expected
):
    from kernel.http import client_ip

    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_request(remote, forwarded)) == expected


PASSWORD = "motdepasse-de-test-42"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _via_proxy(client_address: str, spoofed: str = "") -> Client:
    """A browser at `client_address` behind the proxy 10.0.0.1, which appends the address."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_the_proxy_an_attacker_locks_out_only_his_own_address(prescriber, settings):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    attacker = _via_proxy("198.51.100.66", spoofed="192.0.2.10")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, "medecin", "mauvais mot de passe")
    assert _login(attacker, "medecin", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    # The physician, from her own address behind the same proxy, still logs in.
    victim = _via_proxy("192.0.2.10")
    assert _login(victim, "medecin", PASSWORD).status_code == 302


def test_gunicorn_trusts_the_same_proxies(monkeypatch):
    import runpy
    from pathlib import Path

    conf = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1,10.1.0.0/16")
    assert runpy.run_path(str(conf))["forwarded_allow_ips"] == "10.0.0.1,10.1.0.0/16"


# --- Login limits per account and per address ----------------------------------------------
def test_guesses_spread_over_many_addresses_are_stopped_for_the_account(prescriber, settings):
    assert settings.APA_LOGIN_MAX_FAILURES_PER_ACCOUNT == 20
    for i in range(20):
        client = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        assert _login(client, "medecin", "mauvais mot de passe").status_code == 200
    newcomer = Client(REMOTE_ADDR="203.0.113.50")
    response = _login(newcomer, "medecin", PASSWORD)
    assert response.status_code == 429
    assert "Connexion temporairement refusée" in response.content.decode()
    assert "_auth_user_id" not in newcomer.session
    event = SecurityEvent.objects.get(kind="login_account_limit")
    assert event.user == prescriber and event.ip_address == "203.0.113.50"
    _login(Client(REMOTE_ADDR="203.0.113.51"), "medecin", PASSWORD)
    assert (
        SecurityEvent.objects.filter(kind="login_account_limit").count() == 1
    )  # one, not one per refusal


def test_the_victim_still_logs_in_from_an_address_she_used_before(prescriber, settings):
    office = Client(REMOTE_ADDR="192.0.2.10")
    assert _login(office, "medecin", PASSWORD).status_code == 302
    for i in range(25):
        _login(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "medecin", "mauvais mot de passe")
    assert _login(Client(REMOTE_ADDR="203.0.113.50"), "medecin", PASSWORD).status_code == 429
    assert _login(Client(REMOTE_ADDR="192.0.2.10"), "medecin", PASSWORD).status_code == 302


def test_guesses_over_many_usernames_from_one_address_are_stopped(
    prescriber, colleague_physician, settings
):
    settings.APA_LOGIN_MAX_FAILURES_PER_ADDRESS = 10
    sprayer = Client(REMOTE_ADDR="198.51.100.9")
    for i in range(10):
        _login(sprayer, f"inconnu{i}", "Printemps2026!")
    # Refused for a real account as for an unknown one: nothing is revealed.
    assert _login(sprayer, "collegue", PASSWORD).status_code == 429
    assert _login(sprayer, "personne", "x").status_code == 429
    assert SecurityEvent.objects.filter(kind="login_address_limit").count() == 1
    assert _login(Client(REMOTE_ADDR="192.0.2.11"), "collegue", PASSWORD).status_code == 302


def test_a_structure_admin_sees_only_the_security_events_of_its_structure(
    client, structure_admin, prescriber, outsider_physician
):
    from django.contrib.auth.models import Permission

    from security.services import security_event_record

    mine = security_event_record(kind="otp_lockout", user=prescriber)
    theirs = security_event_record(kind="otp_lockout", user=outsider_physician)
    structure_admin.user_permissions.add(Permission.objects.get(codename="view_securityevent"))
    client.force_login(structure_admin)
    page = client.get(reverse("admin:security_securityevent_changelist"))
    assert page.status_code == 200
    shown = set(page.context["cl"].result_list)
    assert mine in shown and theirs not in shown
    change = reverse("admin:security_securityevent_change", args=[mine.pk])
    assert client.post(change, {}).status_code == 403  # read-only


def test_login_attempts_are_counted_before_their_outcome(settings):
    """Guesses sent in parallel are all counted before any password is checked: the limit
    holds however many are in flight."""
    from security.login_limits import ACCOUNT, login_attempt

    settings.APA_LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    in_flight = [login_attempt(_request(f"198.51.100.{i}"), "medecin") for i in range(1, 6)]
    assert [refusal for refusal, _first in in_flight] == [None, None, None, ACCOUNT, ACCOUNT]


def test_successful_logins_behind_a_shared_address_do_not_use_up_its_limit(settings):
    settings.APA_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    clinic = "192.0.2.200"
    for i in range(6):
        factories.PhysicianFactory(username=f"soignant{i}")
        assert _login(Client(REMOTE_ADDR=clinic), f"soignant{i}", PASSWORD).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_of_the_second_factor_are_checked_one_at_a_time(settings):
    """Eight wrong codes sent at the same instant: the device's row lock lets one be checked;
    the others find its failure and its delay, and are refused unchecked."""
    import threading

    # A delay of a minute after the first failure (1 s in production): a loaded machine could
    # otherwise let a late thread arrive once a one-second delay is over.
    settings.OTP_TOTP_THROTTLE_FACTOR = 60

    from django.core.exceptions import ValidationError
    from django.db import connection

    from security.services import otp_verify

    user = factories.PhysicianFactory(username="medecin-parallele")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    guesses = _wrong_codes(device, 8)
    barrier = threading.Barrier(len(guesses), timeout=10)
    codes: list[str] = []

    def guess(token: str) -> None:
        request = RequestFactory().post(OTP_URL, REMOTE_ADDR="198.51.100.8")
        request.user = user
        try:
            barrier.wait()
            otp_verify(request=request, token=token)
            codes.append("accepted")
        except ValidationError as exc:
            codes.append(exc.error_dict["token"][0].code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(token,)) for token in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes) == ["invalid"] + ["otp_throttled"] * 7
    assert SecurityEvent.objects.filter(kind="otp_failure").count() == 1
