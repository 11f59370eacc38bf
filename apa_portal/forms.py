"""What every form of the application shares: Bootstrap's classes, and the services' errors
placed next to their fields."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget, and `is-invalid` on the fields in error.

    `add_error` is the single place where errors land (clean() and the services' errors mapped
    by the views alike), so marking the widget there covers both.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = widget.attrs.get("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    # Messages a service may report without a field (a database constraint's, R-P1 to R-P3),
    # and the field each belongs next to (prescriptions.forms.PrescriptionForm).
    service_message_fields: Mapping[str, str] = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Place a service's errors next to the fields they name, the others above the form.

        An error without a field whose message is one of `service_message_fields` goes next to
        its field, unless that field already shows the service's own message.
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
                field = self.service_message_fields.get(" ".join(error.messages))
                if field is None or field not in self.fields:
                    self.add_error(None, error)
                elif field not in named:
                    self.add_error(field, error)

    def add_error(self, field: str | None, error) -> None:
        super().add_error(field, error)
        for name in list(self.errors):
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    widget.attrs["class"] = " ".join([*classes, "is-invalid"])
