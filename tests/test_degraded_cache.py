"""When Redis falters the pages go on (kernel.cache, kernel.throttle), and the throttles hold."""

import logging
import threading

import pytest
from django.core.cache import cache
from django.urls import reverse

from kernel import throttle
from kernel.cache import CacheUnavailable, DegradingRedisCache
from kernel.throttle import throttle_hit, throttle_refund
from tests import factories

KEYS = ["apa:test:user:1", "apa:test:ip:10.0.0.1"]


def test_the_production_cache_is_the_degrading_one_with_short_timeouts(monkeypatch):
    """A Redis CACHE_URL gets the degrading backend and timeouts well under a second."""
    import importlib  # noqa: PLC0415

    from apa_portal import settings as project_settings  # noqa: PLC0415

    monkeypatch.setenv("CACHE_URL", "rediscache://127.0.0.1:6379/1")
    try:
        reloaded = importlib.reload(project_settings)
        default = reloaded.CACHES["default"]
        assert default["BACKEND"] == "kernel.cache.DegradingRedisCache"
        assert default["OPTIONS"]["socket_connect_timeout"] < 1
        assert default["OPTIONS"]["socket_timeout"] < 1
    finally:
        monkeypatch.delenv("CACHE_URL")
        importlib.reload(project_settings)


def test_a_cache_down_is_a_miss_a_dropped_write_and_one_warning(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="kernel.cache"):
        for _ in range(5):
            cache.set("k", 1)
            assert cache.get("k", "missing") == "missing"
            assert cache.get_many(["k"]) == {}
            assert cache.add("k", 1) is False
            with pytest.raises(CacheUnavailable):
                cache.incr("k")
    assert len(cache_down) == 1  # the breaker: one attempt, then no more until retry_after
    assert [r.getMessage()[:17] for r in caplog.records] == ["Cache unreachable"]


def test_the_breaker_asks_redis_again_after_its_delay(cache_down, monkeypatch):
    from django.core.cache import caches  # noqa: PLC0415

    default = caches["default"]
    assert isinstance(default, DegradingRedisCache)
    default.get("k")
    assert not default.available
    default._down_until = 0.0  # the delay has passed
    default.get("k")
    assert len(cache_down) == 2


# --- The throttle: increment then check (atomic), and its fallback -----------------------------
def _concurrent_hits(n: int, limit: int, keys=tuple(KEYS)) -> list[bool]:
    barrier = threading.Barrier(n)
    results: list[bool] = []
    lock = threading.Lock()

    def hit() -> None:
        barrier.wait()
        refused = throttle_hit(keys, limit=limit, window=900)
        with lock:
            results.append(refused)

    threads = [threading.Thread(target=hit) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_concurrent_attempts_on_one_key_get_exactly_the_limit_evaluated():
    results = _concurrent_hits(20, limit=5, keys=("apa:test:one",))
    assert results.count(False) == 5  # evaluated: each attempt took its number first
    assert results.count(True) == 15  # refused


def test_twenty_concurrent_attempts_on_two_keys_get_no_more_than_the_limit_evaluated():
    """Per user and per IP: an attempt is evaluated only if its number is within the limit on
    both keys, so never more than the limit (fewer when the two counts interleave)."""
    results = _concurrent_hits(20, limit=5)
    assert 1 <= results.count(False) <= 5


def test_with_the_cache_down_twenty_concurrent_attempts_still_get_the_limit(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="kernel.throttle"):
        results = _concurrent_hits(20, limit=5, keys=("apa:test:one",))
    assert results.count(False) == 5
    warnings = [r for r in caplog.records if r.name == "kernel.throttle"]
    assert len(warnings) == 1 and "fall back" in warnings[0].getMessage()


def test_a_refunded_attempt_does_not_use_the_budget():
    for _ in range(10):
        assert throttle_hit(KEYS, limit=5, window=900) is False
        throttle_refund(KEYS, window=900)
    assert throttle.throttle_counts(KEYS) == dict.fromkeys(KEYS, 0)


def test_a_refund_never_makes_a_budget_larger_than_the_limit():
    throttle_refund(KEYS, window=900)  # nothing counted: nothing to give back
    throttle_refund(KEYS, window=900)
    refused = [throttle_hit(KEYS, limit=2, window=900) for _ in range(3)]
    assert refused == [False, False, True]


def test_the_fallback_refunds_and_counts_per_key(cache_down):
    assert throttle_hit(["a"], limit=1, window=900) is False
    assert throttle_hit(["a"], limit=1, window=900) is True
    assert throttle_hit(["b"], limit=1, window=900) is False
    throttle_refund(["b"], window=900)
    assert throttle_hit(["b"], limit=1, window=900) is False


# --- The pages with Redis down --------------------------------------------------------------------
@pytest.mark.django_db
def test_with_the_cache_down_the_lookup_answers_and_refuses_the_sixth_wrong_try(
    client, physiotherapist, prescriber, patient, cache_down, settings
):
    prescription = factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(physiotherapist)
    url = reverse("prescriptions:lookup")
    assert client.get(url).status_code == 200
    wrong = {"reference": prescription.reference, "birth_date": "01/01/1900"}
    for _ in range(settings.APA_LOOKUP_MAX_FAILURES):
        assert client.post(url, wrong).status_code == 200
    birth_date = patient.birth_date.strftime("%d/%m/%Y")
    right = {"reference": prescription.reference, "birth_date": birth_date}
    assert client.post(url, right).status_code == 429  # the 6th, even a right one
    assert len(cache_down) <= 1  # one short wait at most, for all those requests


@pytest.mark.django_db
def test_with_the_cache_down_a_right_lookup_still_succeeds(
    client, physiotherapist, prescriber, patient, cache_down
):
    prescription = factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(physiotherapist)
    birth_date = patient.birth_date.strftime("%d/%m/%Y")
    response = client.post(
        reverse("prescriptions:lookup"),
        {"reference": prescription.reference, "birth_date": birth_date},
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_with_the_cache_down_the_dashboard_computes_its_figures(
    client, structure_admin, prescriber, patient, cache_down
):
    factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(structure_admin)
    for _ in range(2):
        response = client.get(reverse("dashboard:index"))
        assert response.status_code == 200
        assert sum(n for _label, n in response.context["per_month"]) == 1
        assert 'id="mois-titre"' in response.content.decode()  # the cached fragment, rendered
    assert len(cache_down) <= 1
