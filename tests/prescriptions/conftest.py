import pytest

from prescriptions import pdf


@pytest.fixture
def render_spy(monkeypatch):
    """The primary key of each prescription whose form is rendered, in order."""
    calls = []
    real = pdf.render_prescription_pdf

    def spy(prescription, **kwargs):
        calls.append(prescription.pk)
        return real(prescription, **kwargs)

    monkeypatch.setattr(pdf, "render_prescription_pdf", spy)
    return calls
