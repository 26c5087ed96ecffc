"""The folder broker's event bindings: a stopped consumer's queue is found and unbound, a live
one is left alone (real kombu folder transport, real files)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from services import embedded_broker
from services.settings import Settings, broker_transport_options, ensure_broker_folders


def test_a_stale_event_queue_is_unbound_and_its_messages_dropped(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    ensure_broker_folders(settings)
    events = Exchange("celeryev", type="topic")
    with Connection("filesystem://", transport_options=broker_transport_options(settings)) as conn:
        channel = conn.channel()
        for name in ("celeryev.gone", "celeryev.alive"):
            Queue(name, events, routing_key="#")(channel).declare()
        producer = conn.Producer(channel)
        for _ in range(3):
            producer.publish({"type": "worker-heartbeat"}, exchange=events, routing_key="worker.x")
    assert embedded_broker.event_queues(settings) == {"celeryev.gone", "celeryev.alive"}

    queue_folder = Path(broker_transport_options(settings)["data_folder_in"])
    an_hour_ago = time.time() - 3600
    for message in queue_folder.glob("*.celeryev.gone.msg"):
        os.utime(message, (an_hour_ago, an_hour_ago))  # nobody read these for an hour
    assert embedded_broker.stale_event_queues(settings) == {"celeryev.gone"}

    removed = embedded_broker.forget_event_queues(settings, {"celeryev.gone"})
    assert removed == 3
    assert embedded_broker.event_queues(settings) == {"celeryev.alive"}
    assert not list(queue_folder.glob("*.celeryev.gone.msg"))
    assert len(list(queue_folder.glob("*.celeryev.alive.msg"))) == 3
    table = Path(broker_transport_options(settings)["control_folder"]) / "celeryev.exchange"
    assert [row[2] for row in json.loads(table.read_text())] == ["celeryev.alive"]
