from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kernel.models import CheckedModel

from .rules import MSG_RPPS_DUPLICATE, MSG_RPPS_FORMAT, MSG_SPECIALTY_PHYSICIANS_ONLY


class Structure(models.Model):
    """Where practitioners work: a hospital, a Maison Sport-Santé or a practice."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("Établissement de santé")
        MAISON_SPORT_SANTE = "mss", _("Maison Sport-Santé")
        PRACTICE = "practice", _("Cabinet libéral")
        OTHER = "other", _("Autre structure")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profession(models.TextChoices):
    """Professions of CSP D.1172-2 plus physicians and administrative staff."""

    PHYSICIAN = "physician", _("Médecin")
    PHYSIOTHERAPIST = "physiotherapist", _("Masseur-kinésithérapeute")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Ergothérapeute")
    PSYCHOMOTOR_THERAPIST = "psychomotor_therapist", _("Psychomotricien")
    APA_TEACHER = "apa_teacher", _("Enseignant en activité physique adaptée")
    SPORTS_EDUCATOR = "sports_educator", _("Éducateur sportif")
    FEDERATION_CERTIFIED = "federation_certified", _("Titulaire d'une certification fédérale")
    # The post-cancer pathway's professionals beside the APA ones (CSP R.1415-1-11, R-C3).
    DIETITIAN = "dietitian", _("Diététicien")
    PSYCHOLOGIST = "psychologist", _("Psychologue")
    ADMIN_STAFF = "admin_staff", _("Personnel administratif")


# Health professionals of D.1172-2 1°: the only ones who may supervise a severe limitation (R-L4).
HEALTH_PROFESSIONS = frozenset(
    {
        Profession.PHYSIOTHERAPIST,
        Profession.OCCUPATIONAL_THERAPIST,
        Profession.PSYCHOMOTOR_THERAPIST,
    }
)
# Every dispenser of D.1172-2 (1° to 4°).
DISPENSER_PROFESSIONS = HEALTH_PROFESSIONS | {
    Profession.APA_TEACHER,
    Profession.SPORTS_EDUCATOR,
    Profession.FEDERATION_CERTIFIED,
}
# Professions identified by an RPPS number (R-ID1).
RPPS_PROFESSIONS = HEALTH_PROFESSIONS | {Profession.PHYSICIAN}


class Specialty(models.TextChoices):
    GENERAL_PRACTICE = "general_practice", _("Médecine générale")
    ONCOLOGY = "oncology", _("Oncologie")
    PAEDIATRICS = "paediatrics", _("Pédiatrie")
    OTHER = "other", _("Autre spécialité")


# What `User.display_name` reads: the columns a list must load (`.only()`) to print the name.
DISPLAY_NAME_FIELDS = ("username", "first_name", "last_name", "profession")


class User(AbstractUser, CheckedModel):
    """A practitioner or a member of staff. Custom from the first migration."""

    profession = models.CharField(
        _("profession"), max_length=30, choices=Profession.choices, default=Profession.ADMIN_STAFF
    )
    specialty = models.CharField(
        _("spécialité"), max_length=30, choices=Specialty.choices, blank=True
    )
    rpps = models.CharField(
        _("numéro RPPS"),
        max_length=11,
        blank=True,
        help_text=_("11 chiffres (répertoire partagé des professionnels de santé)."),
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
    )

    # Printed on the PDF form, so that a physiotherapist can inform the prescriber (R-R7).
    professional_address = models.CharField(
        _("adresse professionnelle"), max_length=250, blank=True
    )
    professional_phone = models.CharField(_("téléphone professionnel"), max_length=20, blank=True)
    secure_email = models.EmailField(
        _("messagerie sécurisée de santé"),
        blank=True,
        help_text=_("Adresse MSSanté, par laquelle les autres professionnels vous informent."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("professionnel")
        verbose_name_plural = _("professionnels")
        ordering = ["last_name", "first_name"]
        constraints = [
            # R-ID1: an RPPS number is exactly 11 digits (or absent).
            models.CheckConstraint(
                condition=Q(rpps="") | Q(rpps__regex=r"^[0-9]{11}$"),
                name="user_rpps_11_digits",
                violation_error_code="rpps_format",
                violation_error_message=MSG_RPPS_FORMAT,
            ),
            models.UniqueConstraint(
                fields=["rpps"],
                condition=~Q(rpps=""),
                name="user_rpps_unique",
                violation_error_code="rpps_duplicate",
                violation_error_message=MSG_RPPS_DUPLICATE,
            ),
            # Only physicians have a medical specialty.
            models.CheckConstraint(
                condition=Q(profession=Profession.PHYSICIAN) | Q(specialty=""),
                name="user_specialty_only_for_physicians",
                violation_error_code="specialty_physicians_only",
                violation_error_message=MSG_SPECIALTY_PHYSICIANS_ONLY,
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name.upper()}".strip()
        if self.profession == Profession.PHYSICIAN and full:
            return f"Dr {full}"
        return full or self.username

    @property
    def is_physician(self) -> bool:
        return self.profession == Profession.PHYSICIAN

    @property
    def is_physiotherapist(self) -> bool:
        return self.profession == Profession.PHYSIOTHERAPIST

    @property
    def is_health_professional(self) -> bool:
        return self.profession in HEALTH_PROFESSIONS

    @property
    def is_dispenser(self) -> bool:
        return self.profession in DISPENSER_PROFESSIONS

    @property
    def is_admin_staff(self) -> bool:
        return self.profession == Profession.ADMIN_STAFF
