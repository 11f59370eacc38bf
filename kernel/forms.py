"""What every form of the application shares: its rendering by crispy-forms (Bootstrap 5 pack),
the error summary of the page, and the services' errors placed next to their fields by code."""

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import strip_tags

# Widgets shown as a group of inputs: their label is a legend, their first input is `<id>_0`.
GROUP_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)

# The mixin goes before a Form or a ModelForm: mypy sees the form's attributes on it.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


def fields_helper(*layout: Any) -> FormHelper:
    """A crispy helper for some of a form's fields (a section of a page that lays its sections
    out itself: `{% crispy form form.sections.name %}`), without `<form>` tag nor CSRF token."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


class BootstrapFormMixin(_FormBase):
    """A form rendered by crispy-forms: Bootstrap's classes, `is-invalid`, labels, help texts
    and errors tied to the inputs (Django sets `aria-describedby` and `aria-invalid`; a group of
    radios or checkboxes is a `fieldset` with a `legend`).

    `helper` renders the fields only: the templates write the `<form>` tag, the CSRF token and
    the buttons, and the page's error summary (`forms/error_summary.html`, fed by
    `error_summary()`) lists every error above the form, each linked to its field.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = self.build_helper()

    def build_helper(self) -> FormHelper:
        helper = FormHelper(self)
        helper.form_tag = False
        helper.disable_csrf = True
        return helper

    # Codes of errors a service may report without a field (a database constraint's, R-P1 to
    # R-P3), and the field each belongs next to (prescriptions.forms.PrescriptionForm).
    service_error_fields: Mapping[str, str] = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Place a service's errors next to the fields they name, the others above the form.

        An error without a field whose code is one of `service_error_fields` goes next to its
        field, unless that field already shows the service's own message.
        """
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        named = {name: errors for name, errors in exc.error_dict.items() if name in self.fields}
        for name, errors in named.items():
            self.add_error(name, errors)
        for name, errors in exc.error_dict.items():
            if name in named:
                continue
            for error in errors:
                field = self.service_error_fields.get(error.code or "")
                if field is None or field not in self.fields:
                    self.add_error(None, error)
                elif field not in named:
                    self.add_error(field, error)

    # --- The error summary ---------------------------------------------------------------
    def field_anchor(self, name: str) -> str:
        """The id of the input an error's link leads to (the first of a group)."""
        bound = self[name]
        if isinstance(bound.field.widget, GROUP_WIDGETS):
            return f"{bound.auto_id}_0"
        return str(bound.id_for_label or bound.auto_id)

    def error_summary(self) -> list[dict[str, Any]]:
        """Every error of the form once: the form's own first (no link), then each field's in
        the order of the fields (`field_order` where the page shows them in another), linked to
        its input, with the field's label."""
        if not self.is_bound:
            return []
        items: list[dict[str, Any]] = [
            {"anchor": "", "label": "", "message": str(message)}
            for message in self.errors.get(NON_FIELD_ERRORS, [])
        ]
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append(
                    {
                        "anchor": self.field_anchor(name),
                        "label": html.unescape(
                            strip_tags(str(self.fields[name].label or ""))
                        ).rstrip(" *"),
                        "message": str(message),
                    }
                )
        return items
