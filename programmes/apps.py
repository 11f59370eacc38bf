from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    """Group programmes and the directory of offers (R-G1..R-G4, R-O1)."""

    name = "programmes"
    verbose_name = "Programmes collectifs"

    def ready(self) -> None:
        from patients.record import register_section

        from .record import programmes_section

        register_section("programmes", programmes_section, order=25)
