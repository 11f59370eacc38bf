"""The project's model base: check constraints validated in one query.

`Model.full_clean()` validates each `CheckConstraint` by a query of its own (`Q.check()`:
`SELECT 1 WHERE <condition>` with the instance's values), inside a savepoint when a transaction
is open, and rebuilds the map of the instance's values for each one. The bilans declare two
constraints per measured test (bounds, value or reason not done), so a bilan's save cost some
thirty such round trips (about 75 ms on PostgreSQL; 900 of seed_demo's 6,200 queries).

`CheckedModel.validate_constraints()` gives the same answer in one query: every check
constraint's condition is a column of one `SELECT`, with the same NULL semantics as the
database (a condition that is unknown passes, as in a CHECK: `COALESCE(condition, true)`) and
the same skipping of conditions on excluded fields (`FieldError`); when the database cannot
evaluate the query, Django's own loop takes over (which logs and passes the condition it cannot
evaluate: the database's CHECK stays the backstop).
Unique constraints keep Django's validation. `tests/test_checked_model.py` compares both on
every model of the project.
"""

import logging
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

logger = logging.getLogger(__name__)


def failed_check_constraints(
    instance: models.Model,
    checks: list[models.CheckConstraint],
    *,
    exclude: set[str] | None,
    using: str,
) -> set[int] | None:
    """The indexes, in `checks`, of the check constraints of the instance's own model that its
    values break; None when the database could not evaluate them together."""
    if not checks:
        return set()
    connection = connections[using]
    query = Query(None)
    # Q.check()'s own construction (django/db/models/query_utils.py), once for all conditions.
    # The instance's values as expressions: CheckConstraint.validate()'s own (private) helper,
    # so that generated fields and the primary key read as Django reads them.
    against = instance._get_field_expression_map(  # type: ignore[attr-defined]
        meta=instance._meta, exclude=exclude
    )
    for name, value in against.items():
        if not hasattr(value, "resolve_expression"):
            value = Value(value)
        query.add_annotation(value, name, select=False)
    columns: list[int] = []
    for index, constraint in enumerate(checks):
        condition = Coalesce(Q(constraint.condition), True, output_field=BooleanField())
        try:
            query.add_annotation(condition, f"_check_{index}")
        except FieldError:
            continue  # a field of the condition is excluded: not checked, as Django does
        columns.append(index)
    if not columns:
        return set()
    atomic = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with atomic:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as error:
        # The model's label, never the instance: its text may hold health data.
        logger.warning(
            "Could not check the constraints of %s in one query: %s", instance._meta.label, error
        )
        return None
    return {index for index, passed in zip(columns, row, strict=True) if not passed}


class CheckedModel(models.Model):
    """A model whose check constraints are validated in one query (see the module)."""

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Any = None) -> None:
        using = router.db_for_write(self.__class__, instance=self)
        # Any: django-stubs' BaseConstraint declares neither validate() nor fields.
        constraints: list[tuple[type[models.Model], Any]] = [
            (model_class, constraint)
            for model_class, model_constraints in self.get_constraints()
            for constraint in model_constraints
        ]
        if not connections[using].features.supports_comparing_boolean_expr or any(
            model_class is not self.__class__ for model_class, _ in constraints
        ):
            # Oracle (no boolean in a SELECT), or a parent's constraints (multi-table
            # inheritance, each validated against its own table's fields): Django's way.
            return super().validate_constraints(exclude=exclude)
        checks = [c for _, c in constraints if isinstance(c, models.CheckConstraint)]
        failing = failed_check_constraints(self, checks, exclude=exclude, using=using)
        if failing is None:  # one condition the database refused: each on its own, as Django
            return super().validate_constraints(exclude=exclude)
        failed = {id(checks[index]) for index in failing}
        # Django's loop (Model.validate_constraints), in the same order, with the check
        # constraints' answers read from the one query.
        errors: dict[str, list[ValidationError]] = {}
        for model_class, constraint in constraints:
            try:
                if isinstance(constraint, models.CheckConstraint):
                    if id(constraint) in failed:
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                else:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
            except ValidationError as error:
                if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
