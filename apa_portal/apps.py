"""The third-party apps' sections of the admin, named in French (their own AppConfig, with only
`verbose_name` changed; labels, models and migrations stay theirs)."""

from axes.apps import AppConfig as AxesAppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "Tentatives de connexion"


class OtpTotpConfig(OtpTotpAppConfig):
    verbose_name = "Double authentification"


class TasksDbConfig(TasksAppConfig):
    verbose_name = "Tâches de fond"
