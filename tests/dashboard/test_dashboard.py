"""The activity dashboard: figures from a fixture with known counts, scope, and query count."""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard import selectors
from patients.models import EligibilitySituation
from prescriptions import services
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import LimitationLevel
from tests import factories
from tests.dashboard.helpers import make_rows, make_superuser

TODAY = date(2026, 6, 15)
LEVELS = ["Sévères", "Modérées", "Minimales", "Aucune", "Non évaluée"]


def _assessment(level: int) -> dict:
    return factories.assessment_data(
        locomotor=level,
        cerebral=LimitationLevel.NONE,
        sensory=LimitationLevel.NONE,
        severe_indicators=[],
        confirmed_level=level,
    )


def _prescribe(prescriber, patient, on: date, months: int, level: int, **kwargs):
    return factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        prescribed_on=on,
        start_date=on,
        duration_months=months,
        assessment=_assessment(level),
        **kwargs,
    )


def _renew(prescription, physiotherapist, on: date) -> Renewal:
    return factories.renew(prescription, physiotherapist, today=on)


@pytest.fixture
def activity(
    time_machine,
    structure,
    other_structure,
    prescriber,
    colleague_physician,
    outsider_physician,
    physiotherapist,
):
    """Known activity on 15/06/2026 (the 12 months shown run from 07/2025 to 06/2026).

    Structure (Lyon), prescriber = Dr Martin unless said:
    - Anne [ald, rf_sedentary]: 20/06/2025 severe (before the 12 months); 20/03/2026 minimal,
      ends 19/06/2026 (ending soon). Latest level: minimal.
    - Bruno [ald]: 10/07/2025 moderate, renewed on 05/01/2026 and read; 01/03/2026 severe,
      renewed on 10/06/2026, unread. Latest level: severe.
    - Chloé [rf_obesity]: a draft only (not counted). Not assessed.
    - David [autonomy_a]: 10/05/2026, cancelled (not counted). Not assessed.
    - Emma [ald]: 02/06/2026 by Dr Petit, moderate.
    Other structure (Valence): Fanny [ald], 03/06/2026 by Dr Loin, severe.
    """
    time_machine.move_to(datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
    assert timezone.localdate() == TODAY

    def patient(name, codes, where=structure):
        return factories.PatientFactory(structure=where, birth_name=name, situations=codes)

    anne = patient("Anne", ["ald", "rf_sedentary"])
    bruno = patient("Bruno", ["ald"])
    chloe = patient("Chloé", ["rf_obesity"])
    david = patient("David", ["autonomy_a"])
    emma = patient("Emma", ["ald"])
    fanny = patient("Fanny", ["ald"], where=other_structure)

    _prescribe(prescriber, anne, date(2025, 6, 20), 3, LimitationLevel.SEVERE)
    ending = _prescribe(prescriber, anne, date(2026, 3, 20), 3, LimitationLevel.MINIMAL)
    b1 = _prescribe(prescriber, bruno, date(2025, 7, 10), 6, LimitationLevel.MODERATE)
    read = _renew(b1, physiotherapist, date(2026, 1, 5))
    Renewal.objects.filter(pk=read.pk).update(prescriber_read_at=timezone.now())
    b2 = _prescribe(prescriber, bruno, date(2026, 3, 1), 3, LimitationLevel.SEVERE)
    unread = _renew(b2, physiotherapist, date(2026, 6, 10))
    _prescribe(prescriber, chloe, date(2026, 6, 5), 3, LimitationLevel.MINIMAL, issue=False)
    d1 = _prescribe(prescriber, david, date(2026, 5, 10), 3, LimitationLevel.MODERATE)
    services.prescription_cancel(prescription=d1, by=prescriber, reason="Erreur de patient")
    _prescribe(colleague_physician, emma, date(2026, 6, 2), 3, LimitationLevel.MODERATE)
    _prescribe(outsider_physician, fanny, date(2026, 6, 3), 3, LimitationLevel.SEVERE)
    return {"ending": ending, "unread": unread}


def _figures(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    return response.context


def _months(context) -> list[int]:
    return [n for _label, n in context["per_month"]]


def _situations(context) -> dict[str, int]:
    labels = dict(EligibilitySituation.objects.values_list("code", "label"))
    by_label = dict(context["per_situation"])
    return {code: by_label[label] for code, label in labels.items() if by_label[label]}


def test_the_structure_admin_reads_the_activity_of_their_structure(
    client, structure_admin, activity
):
    context = _figures(client, structure_admin)
    assert [label for label, _ in context["per_month"]][0] == "juil. 2025"
    assert [label for label, _ in context["per_month"]][-1] == "juin 2026"
    # 07/2025: Bruno; 03/2026: Anne and Bruno; 06/2026: Emma (Chloé's draft, David's
    # cancelled prescription and Fanny's, elsewhere, are not counted).
    assert _months(context) == [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1]
    assert context["per_level"] == list(zip(LEVELS, [1, 1, 1, 0, 2], strict=True))
    assert _situations(context) == {"ald": 3, "rf_sedentary": 1, "rf_obesity": 1, "autonomy_a": 1}
    assert context["ending"].count == 1
    assert context["ending"].rows == [activity["ending"]]
    assert context["unread"].count == 1
    assert context["unread"].rows == [activity["unread"]]


def test_a_physician_reads_the_activity_of_their_own_prescriptions(client, prescriber, activity):
    context = _figures(client, prescriber)
    assert _months(context) == [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
    # Anne (minimal), Bruno (severe), David (cancelled only: not assessed).
    assert context["per_level"] == list(zip(LEVELS, [1, 0, 1, 0, 1], strict=True))
    assert _situations(context) == {"ald": 2, "rf_sedentary": 1, "autonomy_a": 1}
    assert context["ending"].rows == [activity["ending"]]
    assert context["unread"].rows == [activity["unread"]]


def test_a_colleague_sees_only_their_own_prescription(client, colleague_physician, activity):
    context = _figures(client, colleague_physician)
    assert _months(context) == [0] * 11 + [1]
    assert context["per_level"] == list(zip(LEVELS, [0, 1, 0, 0, 0], strict=True))
    assert context["ending"].count == 0 and context["unread"].count == 0


def test_a_superuser_reads_every_structure(client, structure, activity):
    context = _figures(client, make_superuser(structure))
    assert _months(context) == [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 2]
    assert context["per_level"] == list(zip(LEVELS, [2, 1, 1, 0, 2], strict=True))
    assert _situations(context)["ald"] == 4


@pytest.mark.parametrize("persona", ["physiotherapist", "apa_teacher"])
def test_other_professionals_are_refused_the_dashboard(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("dashboard:index")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_charts_are_inline_accessible_svg_with_the_numbers_in_a_table(
    client, structure_admin, activity
):
    client.force_login(structure_admin)
    html = client.get(reverse("dashboard:index")).content.decode()
    assert html.count('<svg class="chart"') == 3
    assert html.count('role="img"') == 3
    assert '<title id="graphique-mois-title">' in html
    assert "<script>" not in html and 'style="' not in html
    assert '<td>juin 2026</td><td class="text-end">1</td>' in html
    assert reverse("prescriptions:detail", args=[activity["ending"].pk]) in html
    # Coordinates use a dot, whatever the locale (French would write 12,5).
    assert 'x="' in html and not any(f'x="{d},' in html for d in range(10))


def test_the_dashboard_runs_a_constant_number_of_queries(
    client, structure_admin, activity, structure, prescriber, django_assert_max_num_queries
):
    client.force_login(structure_admin)
    url = reverse("dashboard:index")
    # session, user (2); the savepoint of ATOMIC_REQUESTS and its release (2); the structure's
    # name (1); ending soon: its first rows, and its count past one page (1 or 2); unread
    # renewals: the same (1 or 2); per month (1); per level (1); per situation (1) — the last
    # three on a cold cache.
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for index in range(10):
        patient = factories.PatientFactory(structure=structure, birth_name=f"Autre{index}")
        _prescribe(prescriber, patient, date(2026, 4, 1), 3, LimitationLevel.MODERATE)
    cache.clear()  # the figures are cached for a few minutes: measure a cold page again
    with django_assert_max_num_queries(12) as many:
        response = client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert response.context["ending"].count == 11


def test_the_figures_are_cached_for_a_few_minutes_and_the_lists_stay_live(
    client,
    structure_admin,
    activity,
    structure,
    prescriber,
    django_assert_max_num_queries,
    time_machine,
):
    client.force_login(structure_admin)
    url = reverse("dashboard:index")
    first = client.get(url).context
    patient = factories.PatientFactory(structure=structure, birth_name="Nouveau")
    # Prescribed in April for 3 months: it ends within 30 days.
    _prescribe(prescriber, patient, date(2026, 4, 1), 3, LimitationLevel.MODERATE)
    # Cached: the three aggregates are not asked again (session, user, savepoint and release,
    # structure, the menu's unread notifications, the two lists, the audit insert: 9).
    with django_assert_max_num_queries(9):
        response = client.get(url)
    cached = response.context
    assert _months(cached) == _months(first)  # the new prescription is not counted yet...
    assert cached["ending"].count == first["ending"].count + 1  # ...but it is listed at once
    assert "chiffres mis à jour il y a moins d'une minute" in response.content.decode()
    # Six minutes later the cache has expired: the figures count it.
    time_machine.shift(timedelta(minutes=selectors.FIGURES_CACHE_SECONDS // 60 + 1))
    fresh = client.get(url).context
    april = -3  # juil. 2025 ... juin 2026
    assert _months(fresh)[april] == _months(first)[april] + 1
    assert fresh["ending"].count == cached["ending"].count


def test_the_page_states_the_age_of_the_cached_figures(
    client, structure_admin, activity, time_machine
):
    client.force_login(structure_admin)
    url = reverse("dashboard:index")
    client.get(url)
    time_machine.shift(timedelta(minutes=3))
    html = client.get(url).content.decode()
    assert "chiffres mis à jour il y a 3 min" in html


def test_each_list_shows_its_first_rows_and_counts_past_them_up_to_the_unread_cap(
    client, structure_admin, structure, prescriber, physiotherapist, monkeypatch
):
    """Issue 8: a list is counted only past its first rows; the unread renewals of a structure
    (counted one by one) stop at a cap, and the page says « plus de »."""
    make_rows(7, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist)
    monkeypatch.setattr(selectors, "LIST_LIMIT", 2)
    monkeypatch.setattr(selectors, "UNREAD_COUNT_CAP", 3)
    client.force_login(structure_admin)
    response = client.get(reverse("dashboard:index"))
    ending, unread = response.context["ending"], response.context["unread"]
    # Ending in about ten days: the three not renewed (the renewed ones end three months on).
    assert (len(ending.rows), ending.count, ending.capped) == (2, 3, False)
    # Four renewals, unread: more than the cap of three.
    assert (len(unread.rows), unread.capped) == (2, True)
    page = response.content.decode()
    assert "Les 2 premières sur 3." in page
    assert "Les 2 plus récents sur plus de 3." in page
    assert "?prescriber_read_at__isempty=1" in page


def test_a_list_shorter_than_its_first_rows_is_not_counted_again(prescriber, patient):
    factories.make_prescription(prescriber=prescriber, patient=patient)
    queryset = Prescription.objects.order_by("reference")
    with CaptureQueriesContext(connection) as captured:
        excerpt = selectors.list_excerpt(queryset, 5)
    assert (len(captured), excerpt.count, excerpt.truncated) == (1, 1, False)


FIGURE_ROW = re.compile(r'<tr><td>([^<]*)</td><td class="text-end">(\d+)</td></tr>')


def _printed_figures(response) -> list[tuple[str, int]]:
    """The rows of the three figures' tables as the page prints them."""
    return [(html.unescape(label), int(n)) for label, n in FIGURE_ROW.findall(response.text)]


def _figures_of_context(context) -> list[tuple[str, int]]:
    return [
        (str(label), n)
        for name in ("per_month", "per_level", "per_situation")
        for label, n in context[name]
    ]


def test_the_printed_figures_are_those_of_each_scope_and_of_each_computation(
    client, structure_admin, prescriber, colleague_physician, activity, structure, time_machine
):
    """The figures' HTML is kept with the figures: never another scope's, never older
    than the figures it prints."""
    url = reverse("dashboard:index")
    printed = {}
    for user in (structure_admin, prescriber, colleague_physician, structure_admin):
        client.force_login(user)
        response = client.get(url)
        assert _printed_figures(response) == _figures_of_context(response.context)
        printed.setdefault(user.pk, _printed_figures(response))
    assert len({tuple(rows) for rows in printed.values()}) == 3  # three scopes, three pictures

    patient = factories.PatientFactory(structure=structure, birth_name="Nouveau")
    _prescribe(prescriber, patient, date(2026, 4, 1), 3, LimitationLevel.MODERATE)
    # The figures are computed again (here: evicted from the cache one minute later) while the
    # HTML of the older ones is still kept: the page prints the new ones.
    time_machine.shift(timedelta(minutes=1))
    scope = selectors.dashboard_scope(structure_admin)
    cache.delete(selectors.figures_cache_key(scope, today=timezone.localdate()))
    client.force_login(structure_admin)
    response = client.get(url)
    assert _printed_figures(response) == _figures_of_context(response.context)
    assert _printed_figures(response) != printed[structure_admin.pk]  # April counts one more
