"""The Celery app. Tasks carry their tenant (tenant-schemas-celery): a task sent while a tenant
schema is active runs in that schema on the worker.

Logging and the request id (API.md section 12): a worker logs as the web processes do (Django's
LOGGING, one JSON object per line, config.logs) rather than through Celery's own set-up, and a
task sent while a request is served carries that request's id in a message header
(``pumpjack_request_id``), which config.logs reads from the running task's request: no state is
set or reset around a task. Each hook only adds to what Celery does and swallows its own errors.
"""

import logging
import os

from celery.signals import before_task_publish, setup_logging, task_postrun, worker_process_init
from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = TenantAwareCeleryApp("pumpjack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


@setup_logging.connect
def _logging_as_django(loglevel=None, **kwargs) -> None:
    """Django's LOGGING for the worker (and beat); Celery's --loglevel still sets Celery's loggers."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    from config.logs import REQUEST_ID_HEADER, current_request_id

    try:
        request_id = current_request_id()
        if request_id and headers is not None and REQUEST_ID_HEADER not in headers:
            headers[REQUEST_ID_HEADER] = request_id
    except Exception:  # a log field is never worth a lost task
        log.exception("could not attach the request id to a task")


@task_postrun.connect
def _count_task(task=None, state=None, **kwargs) -> None:
    try:
        from config.metrics import observe_task

        observe_task(getattr(task, "name", "unknown"), state or "UNKNOWN")
    except Exception:
        log.exception("could not count a task")


@worker_process_init.connect
def _freeze_start_up_objects(**kwargs) -> None:
    """A worker process (prefork child) starts with Django, its apps and every task module
    loaded: ~120,000 objects the garbage collector would walk again on each full collection,
    though none of them is ever garbage. A sync chunk allocates enough to run one every few
    thousand events (measured: 130 ms of a 10,000-event batch's 0.85 s in collections, 36 ms
    once frozen). Frozen, they are left out (as config.wsgi does for web workers)."""
    import gc

    gc.freeze()
