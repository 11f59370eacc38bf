"""Text helpers shared by every app (no ORM, no app import)."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip accents, for accent-insensitive search (Hélène -> helene)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
