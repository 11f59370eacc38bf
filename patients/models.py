import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kernel.models import CheckedModel
from kernel.text import fold

from . import rules


class EligibilitySituation(models.Model):
    """One of the situations of R-E1 that open the right to an APA prescription.

    R-E1 (CSP L.1172-1, D.1172-1-1, décret 2023-235). Seeded by migration; data, so that a
    change of the decree's list is a data change.
    """

    class Group(models.TextChoices):
        CHRONIC = "chronic", _("Affection de longue durée ou maladie chronique")
        RISK_FACTOR = "risk_factor", _("Facteur de risque")
        AUTONOMY = "autonomy", _("Perte d'autonomie (handicap ou vieillissement)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    group = models.CharField(_("catégorie"), max_length=20, choices=Group.choices)
    label = models.CharField(_("libellé"), max_length=200)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("situation ouvrant droit")
        verbose_name_plural = _("situations ouvrant droit")
        ordering = ["position"]

    def __str__(self) -> str:
        return str(self.label)


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")


# What `Patient.full_name` reads: the columns a list must load (`.only()`) to print the name.
FULL_NAME_FIELDS = ("birth_name", "used_name", "first_names", "sex")


class Patient(CheckedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    structure = models.ForeignKey(
        "practitioners.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="patients",
        help_text=_("La structure qui a enregistré le patient."),
    )
    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    first_names = models.CharField(_("prénoms"), max_length=150)
    used_name = models.CharField(_("nom d'usage"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    nir = models.CharField(
        _("NIR (numéro de sécurité sociale)"),
        max_length=15,
        blank=True,
        help_text=_("Facultatif. 15 caractères, clé comprise ; 2A/2B pour la Corse."),
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    situations = models.ManyToManyField(
        EligibilitySituation,
        verbose_name=_("situations ouvrant droit à l'APA"),
        related_name="patients",
        blank=True,
    )
    ald_details = models.CharField(
        _("ALD ou maladie chronique (précision)"), max_length=250, blank=True
    )
    other_risk_factor = models.CharField(_("autre facteur de risque"), max_length=250, blank=True)
    physician_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("médecin en charge"),
        on_delete=models.PROTECT,
        related_name="patients_in_charge",
        null=True,
        blank=True,
        limit_choices_to={"profession": "physician"},
    )
    # Folded (lower-case, accent-free) names, maintained by save(), for accent-insensitive search.
    search_name = models.CharField(max_length=400, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[situations])

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["birth_name", "first_names", "id"]  # a total order (keyset pages)
        constraints = [
            models.UniqueConstraint(
                fields=["nir"],
                condition=~Q(nir=""),
                name="patient_nir_unique",
                violation_error_code="nir_duplicate",
                violation_error_message=rules.MSG_NIR_DUPLICATE,
            ),
            models.CheckConstraint(
                condition=Q(nir="") | Q(nir__regex=r"^[0-9]{5}([0-9]{2}|2A|2B)[0-9]{8}$"),
                name="patient_nir_format",
                violation_error_code="nir_format",
                violation_error_message=rules.MSG_NIR_FORMAT,
            ),
        ]
        indexes = [
            models.Index(fields=["structure", "birth_name"]),
            # The lists' order (ordering above): the first page of a structure's 20,000
            # patients is read in order instead of sorted (17 ms → 0.3 ms), and any
            # later page from where the previous one ended (kernel.pagination.keyset_page).
            models.Index(fields=["birth_name", "first_names", "id"], name="patient_name_id_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.search_name = fold(
            " ".join(filter(None, [self.birth_name, self.used_name, self.first_names]))
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("patients:detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        """NOM prénoms, with the used name shown as on French health documents."""
        name = self.birth_name.upper()
        if self.used_name and self.used_name.casefold() != self.birth_name.casefold():
            name = (
                f"{self.used_name.upper()} (née {self.birth_name.upper()})"
                if (self.sex == Sex.FEMALE)
                else f"{self.used_name.upper()} (né {self.birth_name.upper()})"
            )
        return f"{name} {self.first_names}"

    @property
    def list_name(self) -> str:
        """The name in a list sorted by birth name (the model's ordering): the birth name first,
        the used name after it, so that the list reads in the order it is sorted."""
        name = f"{self.birth_name.upper()} {self.first_names}"
        if self.used_name and self.used_name.casefold() != self.birth_name.casefold():
            name += f" (nom d'usage : {self.used_name.upper()})"
        return name

    @property
    def nir_display(self) -> str:
        return rules.nir_format(self.nir) if self.nir else ""


class CareTeamGrant(models.Model):
    """An explicit membership of a patient's care team beyond the registering structure.

    The prescriber, a physiotherapist who looked one of the patient's prescriptions up (the
    prescriptions app keeps which one: `prescriptions.PrescriptionAccess`), a professional
    the patient is oriented to, or a professional of a group programme the patient is referred
    to or enrolled in (PROGRAMME: granted by the referral, revoked when no open referral or
    active enrolment of the patient keeps them in a team). Never deleted: revoking sets
    `revoked_at`.
    """

    class Reason(models.TextChoices):
        PRESCRIBER = "prescriber", _("Prescripteur")
        LOOKUP = "lookup", _("Recherche de la prescription (kinésithérapeute)")
        ORIENTATION = "orientation", _("Orientation vers un professionnel de l'APA")
        PROGRAMME = "programme", _("Orientation vers un programme collectif")

    # The memberships that open every signed prescription of the patient; a look-up opens only
    # the prescription that was looked up (need-to-know).
    WHOLE_RECORD_REASONS = (Reason.PRESCRIBER, Reason.ORIENTATION, Reason.PROGRAMME)
    # The memberships that make a dispensing professional follow the patient (« Mes patients
    # orientés », the bilans and comptes rendus of D.1172-5): a direct orientation
    # (dispensing) or a group programme's team (programmes). Each is granted and ended by its
    # own service only.
    ORIENTED_REASONS = (Reason.ORIENTATION, Reason.PROGRAMME)

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("professionnel"),
        on_delete=models.PROTECT,
        related_name="care_grants",
    )
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accordé par"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    granted_at = models.DateTimeField(_("accordé le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("accès à un dossier patient")
        verbose_name_plural = _("accès aux dossiers patients")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "user", "reason"],
                name="careteamgrant_unique_per_reason",
                violation_error_code="careteamgrant_unique_per_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient} ({self.get_reason_display()})"
