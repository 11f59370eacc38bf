"""R-G4 recorded as the dispensing side's compte rendu (R-B2, R-B4): the follow-up creates a
signed ProgressReport (reference, verification code, PDF), with the period's sessions planned
and attended counted from the roll calls; by the supervising professional only, after the
signed entry bilan (else refused, the follow-up stays due and the page links to the entry
bilan)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bilans.models import IssuedDocument, ProgressReport
from bilans.services import MSG_REPORT_NO_ENTRY
from kernel.errors import all_error_codes
from programmes import services
from programmes.models import FollowUp
from programmes.selectors import start_of_day
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolment(offer, referral, coordinator):
    return services.enrolment_create(referral=referral, goals="Marcher 30 min", by=coordinator)


@pytest.fixture
def entry(referral, teacher):
    return factories.make_entry_bilan(referral.patient, teacher)


def _record(item, by, **overrides):
    values = {
        "effects": "Moins essoufflée",
        "adjusted_goals": "45 minutes de marche",
        "tolerance": "good",
        "share_agreement": True,
    }
    values.update(overrides)
    return services.follow_up_record(follow_up=item, by=by, **values)


def _first(enrolment) -> FollowUp:
    return enrolment.follow_ups.order_by("due_on").first()


def test_recording_a_follow_up_creates_a_signed_and_issued_compte_rendu(enrolment, entry, teacher):
    item = _record(_first(enrolment), teacher, risk_flag=True, risk_description="Vertiges")
    report = ProgressReport.objects.get(pk=item.report_id)
    assert (report.patient_id, report.author_id) == (enrolment.patient_id, teacher.pk)
    assert report.prescription_id == enrolment.prescription_id
    assert report.performed_on == item.done_on == timezone.localdate()
    assert report.tolerance == "good" and report.share_agreement
    assert report.risk_flag and report.risk_description == "Vertiges"  # read by R-R5
    assert "Moins essoufflée" in report.progress and "45 minutes de marche" in report.progress
    issued = IssuedDocument.objects.get(report=report)
    assert issued.reference and issued.verification_code
    # The follow-up keeps its own words too (history, back-compat).
    assert (item.effects, item.adjusted_goals) == ("Moins essoufflée", "45 minutes de marche")


def test_the_sessions_planned_and_attended_come_from_the_roll_calls(
    offer, enrolment, entry, teacher, time_machine
):
    sessions = list(offer.sessions.order_by("starts_at")[:6])
    for index, session in enumerate(sessions[:5]):
        services.attendance_record(
            session=session, enrolment=enrolment, present=index != 1, by=teacher
        )
    services.session_cancel(session=sessions[5], by=teacher, reason="Gymnase fermé")
    day = timezone.localtime(sessions[5].starts_at).date() + timedelta(days=1)
    time_machine.move_to(start_of_day(day) + timedelta(hours=12))
    planned = offer.sessions.filter(
        cancelled_at__isnull=True, starts_at__lt=start_of_day(day + timedelta(days=1))
    ).count()
    first = _record(_first(enrolment), teacher)
    assert (first.report.sessions_planned, first.report.sessions_done) == (planned, 4)
    # The next follow-up counts from the day after this one.
    later = day + timedelta(days=14)
    time_machine.move_to(start_of_day(later) + timedelta(hours=12))
    second_item = enrolment.follow_ups.order_by("due_on")[1]
    second = _record(second_item, teacher)
    expected = offer.sessions.filter(
        cancelled_at__isnull=True,
        starts_at__gte=start_of_day(day + timedelta(days=1)),
        starts_at__lt=start_of_day(later + timedelta(days=1)),
    ).count()
    assert (second.report.sessions_planned, second.report.sessions_done) == (expected, 0)


def test_without_the_signed_entry_bilan_the_follow_up_is_refused_and_stays_due(
    enrolment, teacher, referral
):
    factories.make_entry_bilan(referral.patient, teacher, sign=False)  # a draft is not enough
    item = _first(enrolment)
    with pytest.raises(services.ValidationError) as excinfo:
        _record(item, teacher)
    assert all_error_codes(excinfo.value) == {"report_no_entry"}
    item.refresh_from_db()
    assert item.done_on is None and item.report_id is None and item.adjusted_goals == ""
    assert not ProgressReport.objects.exists()


def test_only_the_supervising_professional_records_the_follow_up(
    enrolment, entry, coordinator, teacher
):
    item = _first(enrolment)
    with pytest.raises(services.ValidationError) as excinfo:
        _record(item, coordinator)  # runs the offer, does not supervise the patient (R-L4/L5)
    assert all_error_codes(excinfo.value) == {"bilan_not_allowed"}
    item.refresh_from_db()
    assert item.done_on is None


def test_a_risk_without_words_is_refused_on_its_field(enrolment, entry, teacher):
    with pytest.raises(services.ValidationError) as excinfo:
        _record(_first(enrolment), teacher, risk_flag=True, risk_description=" ")
    assert "risk_description" in excinfo.value.error_dict


def test_the_follow_up_page_says_the_entry_bilan_is_missing_and_links_to_it(
    client, enrolment, teacher
):
    item = _first(enrolment)
    client.force_login(teacher)
    url = reverse("programmes:follow_up", kwargs={"pk": item.pk})
    page = client.get(url)
    content = page.content.decode()
    assert page.status_code == 200
    assert str(MSG_REPORT_NO_ENTRY) in content.replace("&#x27;", "'")
    assert reverse("bilans:entry_create", args=[enrolment.patient_id]) in content
    response = client.post(
        url, {"effects": "x", "adjusted_goals": "y", "tolerance": "good", "share_agreement": "on"}
    )
    assert response.status_code == 400
    assert reverse("bilans:entry_create", args=[enrolment.patient_id]) in response.content.decode()
    item.refresh_from_db()
    assert item.done_on is None


def test_the_follow_up_page_links_to_its_compte_rendu_and_pdf(
    client, enrolment, entry, teacher, django_assert_max_num_queries
):
    item = _record(_first(enrolment), teacher)
    client.force_login(teacher)
    url = reverse("programmes:follow_up", kwargs={"pk": item.pk})
    client.get(url)  # the session and the user, once
    # session, user, the follow-up with its offer, patient, compte rendu and its issue (one
    # join), the read audit, may_record (grant, level), the page's layout: 9 today
    with django_assert_max_num_queries(10):
        page = client.get(url)
    content = page.content.decode()
    assert item.report.get_absolute_url() in content and item.report.pdf_url in content
    assert item.report.issued.reference in content
    assert client.get(item.report.pdf_url).status_code == 200


def test_the_follow_up_page_query_count_does_not_grow_before_recording(
    client, enrolment, entry, teacher, django_assert_max_num_queries
):
    client.force_login(teacher)
    url = reverse("programmes:follow_up", kwargs={"pk": _first(enrolment).pk})
    client.get(url)
    # the same, and the current prescription and its signed entry bilan: 11 today
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_the_follow_up_form_has_the_compte_rendus_fields_and_labels(client, enrolment, teacher):
    from bilans.forms import ProgressReportForm
    from programmes.forms import FollowUpForm

    for name in ("tolerance", "share_agreement", "risk_flag", "risk_description"):
        assert FollowUpForm.base_fields[name].label == ProgressReportForm.base_fields[name].label
    form = FollowUpForm({"adjusted_goals": "y", "tolerance": "excellent"})
    assert not form.is_valid() and "tolerance" in form.errors
