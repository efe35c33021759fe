"""Project configuration. The Celery app lives in config.celery (`celery -A config` finds it
there); it is imported by the task modules, so a web worker loads Celery only once it sends a task."""
