"""The latency run (see latency.py): one stack, three conditions, JSON lines out."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from bench.realtime.latency import KINDS, Edit, run_edits, summarize
from bench.realtime.stack import (
    Stack,
    bench_stack,
    open_channels,
    push_out_polls,
    seed_students,
    set_notion_delay,
    start_api,
    start_worker,
    subscribe_notion,
    switch_to_polling,
)

Emit = Callable[[str, float | int | None, str, str], None]
POLL_SCALE = 15  # polling runs 15x faster than production: 1-minute interval, 4 s dispatch


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(emit: Emit, edits: list[Edit], condition: str, scale: int = 1) -> None:
    for kind in KINDS:
        s = summarize(edits, kind)
        instance = f"{kind}, {condition}"
        emit("edits", s["edits"], "edits", instance)
        emit("edits_reflected", s["reflected"], "edits", instance)
        emit("edits_on_moved_blocks", s["on_moved_blocks"], "edits", instance)
        emit("edits_on_moved_blocks_reflected", s["on_moved_blocks_reflected"], "edits", instance)
        for name in ("p50_s", "p95_s", "max_s"):
            value = s[name]
            emit(f"reflection_{name[:-2]}", value, "s", instance)
            if scale != 1 and value is not None:
                scaled = round(value * scale, 1)
                emit(f"reflection_{name[:-2]}_scaled_x{scale}", scaled, "s", instance)
        log(f"{instance}: {s}")


def run(args: Any, emit: Emit) -> None:
    with bench_stack(args.postgres_url, args.redis_url) as (stack, port):
        measure(stack, args, port, emit)


def measure(stack: Stack, args: Any, port: int, emit: Emit) -> None:
    log(f"seeding {args.students} students …")
    seed_students(stack, args.students)
    start_worker(stack)
    url = start_api(stack, port)
    channels = open_channels(stack)
    subscribe_notion(stack, url, delay_s=0.0)
    push_out_polls(stack)
    log(f"{channels} watch channels open, Notion webhook verified")
    debounce = stack.settings.push_debounce_s
    default_delay = type(stack.notion.settings)().webhook_delay_s
    for delay in (0.0, default_delay):
        set_notion_delay(stack, delay)
        edits = run_edits(
            stack, args.edits, args.gap, timeout_s=90, seed=int(delay * 10) + 1, pause_s=10.0
        )
        report(emit, edits, f"push, debounce {debounce:g} s, Notion delay {delay:g} s")

    switch_to_polling(stack, interval_min=1, dispatch_interval_s=60.0 / POLL_SCALE)
    # Pauses up to one poll interval: edits land at every phase of the polling cycle.
    edits = run_edits(stack, args.edits, args.gap, timeout_s=150, seed=99, pause_s=60.0)
    report(
        emit,
        edits,
        f"polling every 1 min, dispatch every {60 / POLL_SCALE:g} s "
        f"(production 15 min / 60 s: scaled x{POLL_SCALE})",
        scale=POLL_SCALE,
    )
