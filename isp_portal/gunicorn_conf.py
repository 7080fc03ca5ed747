"""gunicorn settings for `python -m isp_portal.serve web` (production and `make run`)."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - inside a container
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
accesslog = "-"
errorlog = "-"
# The access log omits query strings: they could carry search terms (DESIGN 4: no personal data in URLs).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
reload = os.environ.get("WEB_RELOAD", "") == "1"
# gunicorn 27 opens a control socket at one fixed path (~/.gunicorn/gunicorn.ctl) shared by every server on the
# machine, so a benchmark, the tests and a running portal would talk to each other's masters. Nothing here uses
# it; turn it off.
control_socket_disable = True
