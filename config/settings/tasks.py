"""Celery."""

from .env import env

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "prune-sync-change-log": {
        "task": "sync.tasks.prune_change_log",
        "schedule": 3600.0,
    },
    "sweep-stuck-sync-batches": {
        "task": "sync.tasks.sweep_stuck_batches",
        "schedule": 30.0,
    },
    "prune-refresh-tokens": {
        "task": "accounts.tasks.prune_refresh_tokens",
        "schedule": 3600.0,
    },
    "fill-spare-tenant-schemas": {
        "task": "tenants.operations.tasks.spare_schemas_fill",
        "schedule": 60.0,
    },
    "schedule-etl-pulls": {
        "task": "sync.etl.tasks.etl_schedule",
        "schedule": 60.0,
    },
    # Alerts for every well (missed visits; API.md section 15); batches evaluate their own wells at once.
    "evaluate-alerts": {
        "task": "wells.alerts.tasks.alerts_evaluate_tenants",
        "schedule": env.float("ALERTS_EVALUATE_EVERY_SECONDS", default=900.0),
    },
}
# Task modules outside autodiscovery (which only finds <app>.tasks).
CELERY_IMPORTS = ["sync.etl.tasks", "wells.alerts.tasks"]

# The sweeper re-enqueues sync batches QUEUED longer than this (enqueue lost) or PROCESSING longer
# than that (worker died; a batch of 5,000 events takes well under a minute).
SYNC_SWEEP_QUEUED_AFTER_SECONDS = env.int("SYNC_SWEEP_QUEUED_AFTER_SECONDS", default=60)
SYNC_SWEEP_PROCESSING_AFTER_SECONDS = env.int("SYNC_SWEEP_PROCESSING_AFTER_SECONDS", default=600)
# A worker applies a batch in chunks of this many events, one transaction each (sync.services.
# processing; 5,000 measured against 2,000 and 4,000: 12% faster a 10,000-event batch, 113 MB of
# worker RSS), and spreads a batch of more than SYNC_SPREAD_EVENTS over the worker processes.
SYNC_CHUNK_EVENTS = env.int("SYNC_CHUNK_EVENTS", default=5_000)
SYNC_SPREAD_EVENTS = env.int("SYNC_SPREAD_EVENTS", default=1_000)
# The pull feed keeps changes this long (it serves them in commit order with no delay).
SYNC_CHANGE_RETENTION_DAYS = env.int("SYNC_CHANGE_RETENTION_DAYS", default=30)
