"""Errors by code: services and constraints raise `ValidationError`s that carry a `code`, written
once with their French message; forms place them by code and tests assert on the code."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def coded_error(
    message: Any, code: str, field: str | None = None, **params: Any
) -> ValidationError:
    """The services' error: its French message (formatted with `params` where it is shown, the
    params kept for the tests) and its code; under `field` when one is given."""
    error = ValidationError(message, code=code, params=params or None)
    return ValidationError({field: [error]}) if field else error


def error_codes(exc: ValidationError) -> dict[str, list[str | None]]:
    """The codes of `exc` by field (`NON_FIELD_ERRORS` for an error that names none)."""
    if hasattr(exc, "error_dict"):
        return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: [error.code for error in exc.error_list]}


def all_error_codes(exc: ValidationError) -> set[str | None]:
    """Every code of `exc`, whatever its field."""
    return {code for codes in error_codes(exc).values() for code in codes}
