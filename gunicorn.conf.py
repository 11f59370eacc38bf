"""gunicorn settings for production (`gunicorn apa_portal.wsgi` reads this file).

Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto (see SECURE_PROXY_SSL_HEADER).
"""

import os

# The reverse proxies trusted for X-Forwarded-* (the same TRUSTED_PROXIES as the app's
# kernel.http.client_ip); unset: gunicorn's own default (FORWARDED_ALLOW_IPS, else localhost).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "").strip() or os.environ.get(
    "FORWARDED_ALLOW_IPS", "127.0.0.1,::1"
)
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
# The access log holds no query string and no referrer: a search term may be a patient's name,
# and health data never goes to the logs.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
