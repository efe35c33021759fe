"""Alert evaluation after a batch (issue 15): the time to evaluate the alerts of the wells a
5,000-event batch touched (sync.tasks.alerts_after_batch, as the processing task calls it), against
the time to process that batch (sync.services.processing.batch_process, in this process).
Target: evaluation <= 10 % of processing. Each run uses fresh wells (100, a pump jack and a tank
each, on a route) and the field mix of bench/sync_ingest.py, with about 1 % FAIL inspections so
that alerts open (and their e-mail goes through Django's e-mail backend: the console in
development, redirected away here). Development settings (embedded PostgreSQL unless DATABASE_URL).

    .venv/bin/python bench/alerts.py [--runs 3] [--wells 100]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402,F401  (configures Django)
from sync_ingest import equipment_by_well, fresh_wells, mixed_events, operator  # noqa: E402

from django.conf import settings  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from sync.services import intake  # noqa: E402
from sync.services.processing import batch_process  # noqa: E402
from sync.tasks import alerts_after_batch  # noqa: E402
from wells.alerts.models import Alert  # noqa: E402

EVENTS = 5_000
TARGET = 0.10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wells", type=int, default=100)
    args = parser.parse_args()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    intake.enqueue_batch = lambda **kwargs: None  # processed right here, not by a worker
    tenant, _ = _setup.bench_tenant("bench-alerts", "Bench Alerts")
    ratios, processing, evaluation = [], [], []
    with schema_context(tenant.schema_name):
        user = operator("operator@bench-alerts.bench", "Alert bench operator")
        for run in range(args.runs):
            wells = fresh_wells(user, args.wells, f"Alerts {run}-{time.time_ns()}")
            events = mixed_events(wells, equipment_by_well(wells), EVENTS, seed=run + 1)
            for n, item in enumerate(events):
                if item["type"] == "EQUIPMENT_INSPECTED" and n % 8 == 0:
                    item["payload"]["status"] = "FAIL"
            result = intake.batch_intake(user=user, device={"deviceId": f"bench-alerts-{run}", "platform": "android",
                                                            "appVersion": "1"}, events=events)
            before = Alert.objects.count()
            started = time.perf_counter()
            batch_process(batch_id=result.batch.pk)
            processed = time.perf_counter() - started
            started = time.perf_counter()
            with redirect_stdout(io.StringIO()):
                opened = alerts_after_batch(batch_id=result.batch.pk)
            evaluated = time.perf_counter() - started
            processing.append(processed)
            evaluation.append(evaluated)
            ratios.append(evaluated / processed)
            print(f"run {run + 1}: {len(result.accepted)} events accepted, processing {processed:.2f} s, alert "
                  f"evaluation {evaluated * 1000:.0f} ms ({opened} opened; {Alert.objects.count() - before} new "
                  f"rows), ratio {evaluated / processed:.1%}")
    median = statistics.median(ratios)
    print(f"alert evaluation / batch processing (5,000 events, {args.wells} wells): median {median:.1%} "
          f"(spread {min(ratios):.1%} to {max(ratios):.1%}; processing {min(processing):.2f}-{max(processing):.2f} s, "
          f"evaluation {min(evaluation) * 1000:.0f}-{max(evaluation) * 1000:.0f} ms)   target <= {TARGET:.0%}   "
          f"{'OK' if median <= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
