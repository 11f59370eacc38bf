"""The quarterly statement the ARS asks for (R-C2): one row per service done in the quarter,
with a pseudonymised patient identifier; the name and NIR only when the convention requires
them (`Convention.export_identity`)."""

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from kernel.csv import CHUNK_SIZE

from .models import Booking, Convention
from .rules import euros


def pseudonym(patient_id: object) -> str:
    """A stable identifier that names nobody: an HMAC of the patient's id with the site's
    secret (the same patient has the same identifier from one quarter to the next)."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"pathway:{patient_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:16].upper()}"


def ars_header(*, with_identity: bool) -> list[str]:
    identity = ["Nom de naissance", "Prénoms", "NIR"] if with_identity else []
    return [
        "Numéro de convention",
        "Identifiant patient (pseudonymisé)",
        *identity,
        "Référence du parcours",
        "Date de prescription",
        "Prestation",
        "Date",
        "Professionnel",
        "Profession",
        "Montant (€)",
    ]


def ars_rows(
    bookings: QuerySet[Booking], *, convention: Convention | None, with_identity: bool
) -> Iterator[list[Any]]:
    number = convention.number if convention else ""
    for b in bookings.iterator(chunk_size=CHUNK_SIZE):
        patient = b.pathway.patient
        identity = [patient.birth_name, patient.first_names, patient.nir] if with_identity else []
        yield [
            number,
            pseudonym(patient.pk),
            *identity,
            b.pathway.reference,
            b.pathway.prescribed_on,
            b.get_kind_display(),
            b.scheduled_on,
            b.professional.display_name,
            b.professional.get_profession_display(),
            euros(b.amount).replace("\u00a0€", ""),
        ]
