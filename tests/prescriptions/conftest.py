import pytest

from prescriptions import pdf
from tests.spies import record_calls


@pytest.fixture
def render_spy(monkeypatch):
    """The primary key of each prescription whose form is rendered, in order."""
    return record_calls(monkeypatch, pdf, "render_prescription_pdf")
