"""Spies for the tests: the real function runs, and each call is recorded."""

from typing import Any


def record_calls(monkeypatch: Any, module: Any, name: str) -> list:
    """Wrap `module.name` (for the test's duration) so that each call records the primary key of
    its first argument, in order; the list is returned."""
    calls: list = []
    real = getattr(module, name)

    def spy(obj, *args, **kwargs):
        calls.append(obj.pk)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls
