from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The shared kernel: helpers every app may use (forms, pagination, CSV, dates, admin base
    classes, the client's address). It imports no app of the project."""

    name = "kernel"
    verbose_name = "Noyau commun"
