"""The group "Administrateurs de structure": what a non-superuser admin may do in the admin.

Made after every `migrate` (post_migrate signal), so that no fixture or data migration is needed
and `seed_demo` is unaffected (the demo `admin` is a superuser). A superuser adds the staff of
a structure to this group; what they then see is limited to their structure by the ModelAdmins
(`kernel.admin.StructureScopedAdmin`).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

STRUCTURE_ADMIN_GROUP = "Administrateurs de structure"

# app label -> model -> actions. Nothing clinical can be changed or deleted (R-P4): issued
# prescriptions, renewals and assessments are only viewed; patients are kept up to date.
STRUCTURE_ADMIN_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "practitioners": {"user": ("view", "add", "change"), "structure": ("view",)},
    "patients": {
        "patient": ("view", "add", "change"),
        "eligibilitysituation": ("view",),
        "careteamgrant": ("view",),
    },
    "prescriptions": {
        "prescription": ("view",),
        "renewal": ("view",),
        "limitationassessment": ("view",),
        "supervisionrule": ("view",),
    },
    # The post-cancer pathway: viewed, scoped to the delivering structure (pathway.admin).
    "pathway": {
        "tariff": ("view",),
        "convention": ("view",),
        "cancerepisode": ("view",),
        "pathwayprescription": ("view",),
        "booking": ("view",),
    },
    # The bilans and comptes rendus of the structure's patients, signed ones only (bilans.admin).
    "bilans": {"entrybilan": ("view",), "exitbilan": ("view",), "progressreport": ("view",)},
    # « Qui a consulté ce dossier »: audit.admin scopes it to the structure.
    "audit": {"readaudit": ("view",)},
}


def sync_structure_admin_group(
    sender=None, *, using: str = DEFAULT_DB_ALIAS, apps=global_apps, verbosity: int = 0, **kwargs
):
    """Create the group if needed and give it exactly the permissions above (idempotent)."""
    for app_label in STRUCTURE_ADMIN_PERMISSIONS:
        try:
            app_config = global_apps.get_app_config(app_label)
        except LookupError:
            return None
        # The permissions of the other apps are normally made before ours; make sure.
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return None
    group, _ = group_model.objects.using(using).get_or_create(name=STRUCTURE_ADMIN_GROUP)
    wanted = [
        (app_label, f"{action}_{model}")
        for app_label, models in STRUCTURE_ADMIN_PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = [
        p
        for p in permission_model.objects.using(using)
        .select_related("content_type")
        .filter(content_type__app_label__in=STRUCTURE_ADMIN_PERMISSIONS)
        if (p.content_type.app_label, p.codename) in wanted
    ]
    group.permissions.set(permissions)
    return group


def structure_admin_group():
    """The group, made if missing (for tests and shells)."""
    return sync_structure_admin_group()
