"""The verification code printed on a document, checked against the one typed."""

import secrets

# Compared when the reference is unknown, so that an unknown reference and a wrong code take as
# long and get the same answer.
_NO_CODE = "-" * 6


def code_matches(expected: str | None, given: str) -> bool:
    """`given` is the document's code (`expected`; None when no document has the reference),
    compared in constant time."""
    reference = expected if expected is not None else _NO_CODE
    return secrets.compare_digest(given.encode(), reference.encode()) and expected is not None
