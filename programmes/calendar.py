"""iCalendar (RFC 5545) export of sessions: a professional's, a patient's. The events carry no
health data: the programme's activity, the structure and the place only — never a patient's
name, pathology or limitation (a calendar leaves the portal: phones, shared agendas)."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from icalendar import Calendar, Event

from .models import Session
from .rules import PARIS


def sessions_ics(sessions: Iterable[Session], *, name: str, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//APA Portal//Programmes//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    site = str(getattr(settings, "SITE_URL", "")).split("//")[-1].strip("/") or "apa-portal"
    for session in sessions:
        event = Event()
        event.add("uid", f"session-{session.pk}@{site}")
        event.add("dtstamp", now)
        event.add("dtstart", session.starts_at.astimezone(PARIS))
        event.add("dtend", session.ends_at.astimezone(PARIS))
        event.add("summary", f"{session.offer.activity} · {session.offer.structure.name}")
        event.add("location", session.offer.place)
        if session.cancelled_at is not None:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
