"""The layers of the apps (README, « Architecture »), beyond what import-linter checks in
`make test`: migrations follow the same order, and every page that shows a clinical record
records the read."""

import tomllib
from pathlib import Path

from django.conf import settings
from django.db.migrations.loader import MigrationLoader

PYPROJECT = Path(settings.BASE_DIR) / "pyproject.toml"


def _layers() -> list[set[str]]:
    """The layers of the import-linter contract, bottom first, each a set of apps."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return [{app.strip() for app in layer.split("|")} for layer in reversed(contract["layers"])]


def test_the_layers_name_every_app_of_the_project():
    project_apps = {
        app.split(".")[0]
        for app in settings.INSTALLED_APPS
        if (Path(settings.BASE_DIR) / app.split(".")[0]).is_dir()
    }
    in_layers = set().union(*_layers())
    assert project_apps <= in_layers, project_apps - in_layers


def test_no_migration_of_an_app_depends_on_a_higher_app():
    rank = {app: index for index, layer in enumerate(_layers()) for app in layer}
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files, not the database
    upward = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in rank:
            continue  # Django's and third-party apps
        for dependency, _ in migration.dependencies:
            target = (
                settings.AUTH_USER_MODEL.split(".")[0]
                if dependency == "__setting__"
                else dependency
            )
            if target in rank and rank[target] > rank[app]:
                upward.append(f"{app}.{name} -> {target}")
    assert upward == []


def test_every_app_of_the_project_with_models_is_migrated():
    """An app whose models are not in a migration (a migrations folder without its
    `__init__.py`) gets no table from `migrate` in production."""
    from django.apps import apps

    with_models = {
        config.label
        for config in apps.get_app_configs()
        if (Path(settings.BASE_DIR) / config.name).is_dir() and list(config.get_models())
    }
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert with_models & loader.unmigrated_apps == set()
