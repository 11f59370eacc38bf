from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demonstration and benchmark data (`seed_demo`, `bench_data`, `demo_totp`): outside the
    domain apps, on top of them (it writes through their services)."""

    name = "demo"
    verbose_name = "Données de démonstration"
