from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command

from prescriptions.models import Prescription


def test_the_daily_command_expires_the_prescriptions_that_have_ended(issued_prescription):
    out = StringIO()
    with time_machine.travel(issued_prescription.end_date + timedelta(days=1)):
        call_command("expire_prescriptions", stdout=out)
    issued_prescription.refresh_from_db()
    assert issued_prescription.status == Prescription.Status.EXPIRED
    assert "1 prescription(s)" in out.getvalue()
    # The change of status is kept in the history.
    assert issued_prescription.history.first().status == Prescription.Status.EXPIRED


def test_the_daily_command_leaves_a_running_prescription_alone(issued_prescription):
    with time_machine.travel(issued_prescription.end_date):
        call_command("expire_prescriptions", stdout=StringIO())
    issued_prescription.refresh_from_db()
    assert issued_prescription.status == Prescription.Status.ISSUED
