"""Writes of the post-cancer care pathway (CSP L.1415-8, R.1415-1-11; R-C1 to R-C4).

Every service checks who acts (`access`), validates with French messages and codes, then saves
inside one transaction. Bookings lock the pathway's row (`select_for_update`) before they count:
two bookings at once never pass a cap together (R-C2, R-C3).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import Patient
from patients.services import patient_lock
from practitioners.models import Profession, Structure, User
from prescriptions.rules import new_reference, new_verification_code

from . import access, rules, selectors
from .events import booking_created, pathway_prescribed
from .models import Booking, CancerEpisode, PathwayPrescription
from .rules import PATHWAY_REFERENCE_PREFIX, Kind, euros, french_date
from .tasks import prerender_pdf_on_commit

MSG_LOCALISATION = _("Indiquez la localisation du cancer.")
MSG_TREATMENT_END_FUTURE = _(
    "La date de fin du traitement ne peut pas être postérieure à aujourd'hui."
)
MSG_NOT_ALD = _(
    "Le parcours est réservé aux patients en affection de longue durée (ALD) traités pour un "
    "cancer (art. L. 1415-8 du CSP)."
)
MSG_PATHWAY_EXISTS = _("Un parcours a déjà été prescrit pour cet épisode de cancer.")
MSG_FORFAIT_RUNNING = _(
    "Ce patient bénéficie déjà du parcours %(reference)s, dont le forfait annuel court "
    "jusqu'au %(end)s (180 € par patient et par an) : un nouveau parcours peut être prescrit "
    "à partir du %(next)s."
)
MSG_TOO_LATE = _(
    "Le traitement s'est terminé le %(end)s : la prescription du parcours était possible "
    "jusqu'au %(deadline)s (12 mois après la fin du traitement)."
)
MSG_TOO_EARLY = _(
    "Le traitement se termine le %(end)s : la prescription du parcours est possible à partir de "
    "cette date et jusqu'au %(deadline)s."
)
MSG_NO_BILAN = _("Cochez au moins un bilan prescrit.")
MSG_NOT_CONVENTIONED = _(
    "Cette structure n'a pas de convention avec l'ARS en vigueur le %(date)s : elle ne peut pas "
    "réaliser le parcours."
)
MSG_BILAN_NOT_PRESCRIBED = _("Ce bilan n'a pas été prescrit (« %(kind)s »).")
MSG_PROFESSION = _(
    "%(name)s ne réalise pas cette prestation : « %(kind)s » est réalisé par un professionnel "
    "de la profession qui convient (%(professions)s)."
)
MSG_NOT_MEMBER = _("%(name)s n'exerce pas dans la structure qui réalise le parcours.")
MSG_BEFORE_PRESCRIPTION = _(
    "Le parcours a été prescrit le %(prescribed)s : aucune prestation ne peut avoir lieu avant."
)
MSG_AFTER_WINDOW = _(
    "Le premier bilan a eu lieu le %(first)s : le parcours se réalise jusqu'au %(deadline)s "
    "(12 mois), pas le %(date)s."
)
MSG_NO_TARIFF = _("Aucun tarif du parcours n'est en vigueur le %(date)s.")
MSG_MAX_BILANS = _(
    "Refusé : %(max)s bilans au plus par parcours, et %(count)s sont déjà réservés ou réalisés. "
    "Encore possible : %(possible)s."
)
MSG_MAX_CONSULTATIONS = _(
    "Refusé : %(max)s consultations de suivi au plus par parcours, et %(count)s sont déjà "
    "réservées ou réalisées. Encore possible : %(possible)s."
)
MSG_ANNUAL_CAP = _(
    "Refusé : le forfait de %(cap)s par patient et par an serait dépassé (%(total)s déjà "
    "réservés ou réalisés, %(price)s de plus ; il reste %(remaining)s). Encore possible : "
    "%(possible)s."
)
MSG_NOT_BOOKED = _("Cette prestation est déjà renseignée (%(status)s) : elle n'est plus modifiée.")
MSG_DONE_IN_FUTURE = _("Une prestation prévue le %(date)s ne peut pas encore être réalisée.")
MSG_APA_PROJECT = _(
    "Le bilan d'activité physique aboutit au projet d'activité physique adaptée : décrivez-le "
    "(art. R. 1415-1-11 du CSP)."
)
MSG_DATE_RANGE = _("Cette date est hors du calendrier utilisable : vérifiez l'année.")


def _error(message: Any, code: str, **params: Any) -> ValidationError:
    """A ValidationError whose message is already formatted (its params kept for tests)."""
    text = str(message) % params if params else message
    return ValidationError(text, code=code)


def possible_words(bilans: int, consultations: int) -> str:
    """« 1 bilan ou 2 consultations », « rien » when nothing more may be booked."""
    parts = []
    if bilans:
        parts.append(f"{bilans} bilan{'s' if bilans > 1 else ''}")
    if consultations:
        parts.append(f"{consultations} consultation{'s' if consultations > 1 else ''}")
    return " ou ".join(parts) if parts else str(_("plus rien dans le forfait"))


# --- The episode --------------------------------------------------------------------------------
@transaction.atomic
def episode_record(
    *,
    patient: Patient,
    by: User,
    localisation: str,
    treatment_end: date,
    ald: bool,
    today: date | None = None,
) -> CancerEpisode:
    """Record a cancer episode on the patient (R-C1), by a physician of the care team."""
    if not access.may_record_episode(by, patient):
        raise _error(access.MSG_EPISODE_NOT_ALLOWED, "episode_not_allowed")
    today = today or timezone.localdate()
    errors: dict[str, list[ValidationError]] = {}
    if not localisation.strip():
        errors["localisation"] = [_error(MSG_LOCALISATION, "localisation_missing")]
    if treatment_end > today:
        errors["treatment_end"] = [_error(MSG_TREATMENT_END_FUTURE, "treatment_end_future")]
    if errors:
        raise ValidationError(errors)
    episode = CancerEpisode(
        patient=patient,
        localisation=localisation.strip(),
        treatment_end=treatment_end,
        ald=ald,
        recorded_by=by,
    )
    episode.full_clean(exclude={"patient", "recorded_by"})
    episode.save()
    return episode


# --- The prescription (R-C1) --------------------------------------------------------------------
def prescription_date_refusal(
    *, treatment_end: date, prescribed_on: date
) -> ValidationError | None:
    """R-C1: the French refusal with the dates, or None when `prescribed_on` is in the window."""
    if rules.prescription_date_is_valid(treatment_end=treatment_end, prescribed_on=prescribed_on):
        return None
    params = {
        "end": french_date(treatment_end),
        "deadline": french_date(rules.prescription_deadline(treatment_end)),
    }
    if prescribed_on < treatment_end:
        return _error(MSG_TOO_EARLY, "pathway_too_early", **params)
    return _error(MSG_TOO_LATE, "pathway_too_late", **params)


@transaction.atomic
def pathway_prescribe(
    *,
    episode: CancerEpisode,
    by: User,
    structure: Structure,
    kinds: Iterable[str],
    prescribed_on: date | None = None,
) -> PathwayPrescription:
    """R-C1: prescribe the pathway for a patient in ALD treated for a cancer, by an oncologist,
    a paediatrician or the médecin traitant, within 12 months after the end of treatment, to a
    structure conventioned by the ARS, with the bilans it prescribes."""
    locked = CancerEpisode.objects.select_for_update().select_related("patient").get(pk=episode.pk)
    patient = locked.patient
    if not access.may_prescribe(by, patient):
        raise _error(access.MSG_PRESCRIBE_NOT_ALLOWED, "pathway_prescriber")
    if not locked.ald:
        raise _error(MSG_NOT_ALD, "pathway_not_ald")
    if PathwayPrescription.objects.filter(episode=locked).exists():
        raise _error(MSG_PATHWAY_EXISTS, "pathway_exists")
    prescribed_on = prescribed_on or timezone.localdate()
    # R-C2: one forfait per patient at a time. The patient's row is locked so that two pathways
    # prescribed at once for two episodes are checked one after the other.
    patient_lock(patient.pk)
    others = PathwayPrescription.objects.filter(patient=patient).annotate(
        first_delivery=Min(
            "bookings__scheduled_on", filter=Q(bookings__status__in=Booking.COUNTING)
        )
    )
    for other in others:
        end = rules.forfait_end(
            prescribed_on=other.prescribed_on, first_delivery=other.first_delivery
        )
        if prescribed_on <= end:
            raise _error(
                MSG_FORFAIT_RUNNING,
                "pathway_forfait_running",
                reference=other.reference,
                end=french_date(end),
                next=french_date(end + timedelta(days=1)),
            )
    refusal = prescription_date_refusal(
        treatment_end=locked.treatment_end, prescribed_on=prescribed_on
    )
    if refusal is not None:
        raise refusal
    chosen = set(kinds) & rules.BILAN_KINDS
    if not chosen:
        raise ValidationError({"kinds": [_error(MSG_NO_BILAN, "no_bilan")]})
    if selectors.convention_in_force(structure.pk, prescribed_on) is None:
        raise ValidationError(
            {
                "structure": [
                    _error(
                        MSG_NOT_CONVENTIONED, "not_conventioned", date=french_date(prescribed_on)
                    )
                ]
            }
        )
    pathway = PathwayPrescription(
        episode=locked,
        patient=patient,
        prescriber=by,
        structure=structure,
        prescribed_on=prescribed_on,
        bilan_physical=Kind.BILAN_PHYSICAL in chosen,
        bilan_dietary=Kind.BILAN_DIETARY in chosen,
        bilan_psychological=Kind.BILAN_PSYCHOLOGICAL in chosen,
        reference=new_reference(prescribed_on.year, prefix=PATHWAY_REFERENCE_PREFIX),
        verification_code=new_verification_code(),
    )
    pathway.full_clean(exclude={"episode", "patient", "prescriber", "structure"})
    pathway.save()
    prerender_pdf_on_commit(pathway)  # the PDF stored once, off the request
    pathway_prescribed.send(sender=PathwayPrescription, pathway=pathway)
    return pathway


# --- Bookings (R-C1 delivery window, R-C2, R-C3) -------------------------------------------------
def _cap_error(
    code: str, *, lines: list[rules.Line], kind: str, caps: rules.Caps
) -> ValidationError:
    current = rules.balance(lines)
    possible = possible_words(*rules.still_possible(lines=lines, caps=caps))
    if code == "max_bilans":
        return _error(
            MSG_MAX_BILANS, code, max=caps.max_bilans, count=current.bilans, possible=possible
        )
    if code == "max_consultations":
        return _error(
            MSG_MAX_CONSULTATIONS,
            code,
            max=caps.max_consultations,
            count=current.consultations,
            possible=possible,
        )
    return _error(
        MSG_ANNUAL_CAP,
        code,
        cap=euros(caps.annual_cap),
        total=euros(current.total),
        price=euros(caps.price(kind)),
        remaining=euros(caps.annual_cap - current.total),
        possible=possible,
    )


@transaction.atomic
def booking_create(
    *,
    pathway: PathwayPrescription,
    by: User,
    kind: str,
    scheduled_on: date,
    professional: User,
) -> Booking:
    """Book a bilan or a consultation of `pathway` for a date and a professional.

    Refused, with the cap that is hit and what remains: a bilan not prescribed, a professional
    whose profession does not fit or who works elsewhere, a structure not conventioned on that
    date, a date before the prescription or past 12 months from the first bilan (R-C1), a 4th
    bilan, a 7th consultation, anything beyond the annual forfait (R-C2, R-C3). The pathway's
    row is locked first: concurrent bookings are counted one after the other.
    """
    locked = PathwayPrescription.objects.select_for_update().get(pk=pathway.pk)
    if not access.may_book(by, locked):
        raise _error(access.MSG_BOOK_NOT_ALLOWED, "booking_not_allowed")
    if kind not in Kind.values:
        raise ValidationError({"kind": [_error(_("Prestation inconnue."), "kind_unknown")]})
    kind_label = str(Kind(kind).label)
    if rules.is_bilan(kind) and kind not in locked.prescribed_kinds:
        raise ValidationError(
            {"kind": [_error(MSG_BILAN_NOT_PRESCRIBED, "bilan_not_prescribed", kind=kind_label)]}
        )
    if not rules.profession_fits(kind, professional.profession):
        professions = ", ".join(
            str(Profession(p).label).lower() for p in sorted(rules.PROFESSIONS_BY_KIND[kind])
        )
        raise ValidationError(
            {
                "professional": [
                    _error(
                        MSG_PROFESSION,
                        "profession_mismatch",
                        name=professional.display_name,
                        kind=kind_label,
                        professions=professions,
                    )
                ]
            }
        )
    if professional.structure_id != locked.structure_id or not professional.is_active:
        raise ValidationError(
            {
                "professional": [
                    _error(MSG_NOT_MEMBER, "professional_elsewhere", name=professional.display_name)
                ]
            }
        )
    if scheduled_on < locked.prescribed_on:
        raise ValidationError(
            {
                "scheduled_on": [
                    _error(
                        MSG_BEFORE_PRESCRIPTION,
                        "before_prescription",
                        prescribed=french_date(locked.prescribed_on),
                    )
                ]
            }
        )
    if selectors.convention_in_force(locked.structure_id, scheduled_on) is None:
        raise ValidationError(
            {
                "scheduled_on": [
                    _error(MSG_NOT_CONVENTIONED, "not_conventioned", date=french_date(scheduled_on))
                ]
            }
        )
    tariff = selectors.tariff_in_force(scheduled_on)
    if tariff is None:
        raise ValidationError(
            {"scheduled_on": [_error(MSG_NO_TARIFF, "no_tariff", date=french_date(scheduled_on))]}
        )
    counting = list(
        Booking.objects.filter(pathway=locked, status__in=Booking.COUNTING).only(
            "kind", "amount", "scheduled_on", "status"
        )
    )
    # R-C1: every counted booking, this one included, within 12 months of the first.
    dates = [b.scheduled_on for b in counting] + [scheduled_on]
    first = min(dates)
    try:
        deadline = rules.delivery_deadline(first)
    except ValidationError as exc:
        raise ValidationError(
            {"scheduled_on": [_error(MSG_DATE_RANGE, "date_out_of_range")]}
        ) from exc
    if max(dates) > deadline:
        raise ValidationError(
            {
                "scheduled_on": [
                    _error(
                        MSG_AFTER_WINDOW,
                        "after_delivery_window",
                        first=french_date(first),
                        deadline=french_date(deadline),
                        date=french_date(max(dates)),
                    )
                ]
            }
        )
    # R-C2, R-C3: the caps of the tariff in force on the booking's date.
    caps = selectors.caps_of(tariff)
    lines = selectors.counting_lines(counting)
    code = rules.cap_refusal(lines=lines, kind=kind, caps=caps)
    if code is not None:
        raise _cap_error(code, lines=lines, kind=kind, caps=caps)
    booking = Booking(
        pathway=locked,
        kind=kind,
        scheduled_on=scheduled_on,
        professional=professional,
        amount=caps.price(kind),
        tariff=tariff,
        booked_by=by,
    )
    booking.full_clean(exclude={"pathway", "professional", "tariff", "booked_by"})
    booking.save()
    booking_created.send(sender=Booking, booking=booking)
    return booking


@transaction.atomic
def booking_mark(
    *,
    booking: Booking,
    by: User,
    done: bool,
    apa_project: str = "",
    today: date | None = None,
) -> Booking:
    """Mark a booked service done or not done (a « non réalisé » frees its place in the caps;
    the line stays, with its history). R-C4: the physical-activity bilan, when done, records the
    « projet d'activité physique adaptée »."""
    PathwayPrescription.objects.select_for_update().filter(pk=booking.pathway_id).first()
    locked = Booking.objects.select_related("pathway").get(pk=booking.pk)
    if not access.may_book(by, locked.pathway):
        raise _error(access.MSG_BOOK_NOT_ALLOWED, "booking_not_allowed")
    if locked.status != Booking.Status.BOOKED:
        raise _error(MSG_NOT_BOOKED, "booking_not_booked", status=locked.get_status_display())
    today = today or timezone.localdate()
    if done and locked.scheduled_on > today:
        raise _error(MSG_DONE_IN_FUTURE, "done_in_future", date=french_date(locked.scheduled_on))
    project = apa_project.strip()
    if done and locked.kind == Kind.BILAN_PHYSICAL:
        if not project:
            raise ValidationError({"apa_project": [_error(MSG_APA_PROJECT, "apa_project_missing")]})
        locked.apa_project = project
    locked.status = Booking.Status.DONE if done else Booking.Status.NOT_DONE
    locked.full_clean(exclude={"pathway", "professional", "tariff", "booked_by"})
    locked.save()
    return locked
