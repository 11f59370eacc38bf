from prescriptions.models import Prescription


def test_an_issued_prescription_ends_the_day_before_the_same_date_n_months_later(
    issued_prescription,
):
    assert issued_prescription.status == Prescription.Status.ISSUED
    start = issued_prescription.start_date
    assert issued_prescription.end_date > start
