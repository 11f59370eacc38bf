"""French wording that the application can resolve instead of printing "(s)" or "(e)".

Pure functions (no ORM), with template filters in kernel.templatetags.wording.
"""

# Patient.sex values (patients.models.Sex): kept as plain strings, kernel sits below patients.
FEMALE, MALE = "F", "M"


def plural(count: int | None, singular: str, plural_form: str | None = None) -> str:
    """The word for `count` in French: singular for 0 and 1 (« 0 patient », « 1 séance »),
    plural from 2 (« 2 séances »). `plural_form` defaults to the singular with an s."""
    if count is not None and abs(count) >= 2:
        return plural_form if plural_form is not None else f"{singular}s"
    return singular


def count_of(count: int, singular: str, plural_form: str | None = None) -> str:
    """« 1 séance », « 2 séances », « 0 patient »."""
    return f"{count} {plural(count, singular, plural_form)}"


def agree(sex: str | None, masculine: str, feminine: str, unknown: str | None = None) -> str:
    """A word agreed with a person's sex when it is known (« né » / « née »); otherwise
    `unknown` (by default the masculine with « (e) »: « né(e) »)."""
    if sex == FEMALE:
        return feminine
    if sex == MALE:
        return masculine
    return unknown if unknown is not None else f"{masculine}(e)"


def born(sex: str | None) -> str:
    """« né », « née », or « né(e) » when the sex is not known."""
    return agree(sex, "né", "née")


def sessions_per_week(count: int) -> str:
    """« 1 séance par semaine », « 3 séances par semaine »."""
    return f"{count_of(count, 'séance')} par semaine"
