"""`celery -A bench.chaos.worker_app worker`: the product's app with the chaos run's short Redis
visibility timeout, so the message of a SIGKILLed sync comes back within the run instead of an
hour later. It must outlive the per-student lock a killed sync leaves behind (2 × the hard time
limit), or the redelivered sync would only be skipped. kombu looks for such messages every 10 s
and scans on every 10th look only (100 s): here every 2 s, every time, or a worker restarted
after each kill would never scan at all."""

from __future__ import annotations

import os

from bench.chaos.processes import VISIBILITY_ENV
from tasks.celery_app import create_app

app = create_app()
app.conf.broker_transport_options = {
    "visibility_timeout": int(os.environ[VISIBILITY_ENV]),
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
