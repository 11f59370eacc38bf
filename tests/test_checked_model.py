"""kernel.models.CheckedModel: the check constraints validated in one query give Django's
answer, error for error, on every model of the project that declares one."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from bilans.models import EntryBilan, ProgressReport
from bilans.rules import NotDone
from kernel.models import CheckedModel


def checked_models() -> list[type[models.Model]]:
    """The models of the project's own apps (top-level folders of BASE_DIR, not the
    libraries') that declare a check constraint."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        model
        for model in apps.get_models()
        if Path(model._meta.app_config.path).resolve().parent == base
        and any(isinstance(c, models.CheckConstraint) for c in model._meta.constraints)
    ]


def errors(validate) -> list[tuple[str, str | None, str]]:
    try:
        validate()
    except ValidationError as error:
        return [
            (field, item.code, " ".join(item.messages))
            for field, items in error.error_dict.items()
            for item in items
        ]
    return []


def both(instance: models.Model, exclude: set[str] | None = None):
    """(one query, Django's own loop) for the instance."""
    return (
        errors(lambda: instance.validate_constraints(exclude=exclude)),
        errors(lambda: models.Model.validate_constraints(instance, exclude=exclude)),
    )


def test_every_project_model_with_a_check_constraint_validates_them_in_one_query():
    found = checked_models()
    assert len(found) >= 15
    assert [m._meta.label for m in found if not issubclass(m, CheckedModel)] == []


def _extremes(model: type[models.Model]):
    """Instances that break bounds: each number field at -1, then at a huge value."""
    numbers = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.IntegerField | models.DecimalField | models.FloatField)
        and not f.primary_key
    ]
    for value in (-1, 10**6):
        instance = model()
        for field in numbers:
            v = Decimal(value) if isinstance(field, models.DecimalField) else value
            setattr(instance, field.attname, v)
        yield instance


@pytest.mark.django_db
def test_one_query_gives_djangos_errors_for_defaults_and_extremes():
    compared = {}
    for model in checked_models():
        for instance in [model(), *_extremes(model)]:
            mine, django = both(instance)
            assert mine == django, model._meta.label
            compared[model._meta.label] = compared.get(model._meta.label, 0) + bool(mine)
    # The comparison is worth something only where constraints broke: most models' did.
    assert sum(1 for broken in compared.values() if broken) >= 10, compared


@pytest.mark.django_db
def test_a_bilan_breaking_several_constraints_gets_each_error_in_djangos_order():
    bilan = EntryBilan(
        six_minute_walk_m=5000,  # out of bounds
        tug_seconds=8,
        tug_seconds_not_done=NotDone.REFUSAL,  # a value and a reason
        risk_flag=True,  # without words
        risk_description="",
    )
    mine, django = both(bilan)
    assert mine == django
    codes = [code for _, code, _ in mine]
    assert {"out_of_bounds", "value_and_not_done", "risk_without_words"} <= set(codes)


@pytest.mark.django_db
def test_an_unknown_condition_passes_as_in_the_database_check():
    # sessions_done NULL, planned 5: `NULL <= 5` is unknown, and a CHECK lets unknown pass.
    report = ProgressReport(sessions_planned=5, sessions_done=None)
    mine, django = both(report)
    assert [e for e in mine if e[1] == "sessions_above_planned"] == []
    assert mine == django
    report.sessions_done = 6
    mine, django = both(report)
    assert ("__all__", "sessions_above_planned") in [e[:2] for e in mine]
    assert mine == django


@pytest.mark.django_db
def test_a_constraint_on_an_excluded_field_is_not_checked():
    bilan = EntryBilan(six_minute_walk_m=5000)
    assert "out_of_bounds" in [code for _, code, _ in both(bilan)[0]]
    mine, django = both(bilan, exclude={"six_minute_walk_m"})
    assert "out_of_bounds" not in [code for _, code, _ in mine]
    assert mine == django


@pytest.mark.django_db
def test_all_the_check_constraints_of_a_bilan_cost_one_query(django_assert_num_queries):
    checks = [c for c in EntryBilan._meta.constraints if isinstance(c, models.CheckConstraint)]
    assert len(checks) > 10
    bilan = EntryBilan(six_minute_walk_m=400)
    with CaptureQueriesContext(connection) as djangos:
        models.Model.validate_constraints(bilan)
    assert len(djangos.captured_queries) >= len(checks)  # one each, savepoints aside
    with django_assert_num_queries(3) as mine:  # one SELECT, in a savepoint (a transaction)
        bilan.validate_constraints()
    assert [q["sql"].split()[0] for q in mine.captured_queries] == [
        "SAVEPOINT",
        "SELECT",
        "RELEASE",
    ]


@pytest.mark.django_db
def test_a_query_the_database_refuses_falls_back_to_djangos_loop(monkeypatch, caplog):
    from django.db import DatabaseError
    from django.db.models.sql.compiler import SQLCompiler

    real = SQLCompiler.execute_sql

    def refuse_the_combined_query(self, *args, **kwargs):
        if "_check_0" in self.query.annotations:
            raise DatabaseError("refused")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "execute_sql", refuse_the_combined_query)
    bilan = EntryBilan(six_minute_walk_m=5000)
    mine, django = both(bilan)
    assert "out_of_bounds" in [code for _, code, _ in mine]  # still found, one by one
    assert mine == django
    assert "in one query: refused" in caplog.text
