"""Background work of the security app: the password reset e-mail.

Sent off the request, so that the answer to « mot de passe oublié » takes the same time whether
an account has the address or not (an SMTP exchange would tell them apart). The task carries
the account's id and the address only: the one-time link is made when the e-mail is written,
so that no valid token waits in the task queue.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from practitioners.models import User

SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
BODY_TEMPLATE = "registration/password_reset_email.txt"


@task()
def send_password_reset_email(user_id: int, email: str) -> bool:
    """Write and send the reset e-mail of one account (False if it can no longer reset)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        # The link is built on SITE_URL, never on a request's Host header.
        "site_url": settings.SITE_URL.rstrip("/"),
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = "".join(loader.render_to_string(SUBJECT_TEMPLATE, context).splitlines())
    body = loader.render_to_string(BODY_TEMPLATE, context)
    EmailMultiAlternatives(subject, body, None, [email]).send()
    return True
