"""CPU time the API's processes and its PostgreSQL backends spent, read from /proc (Linux).

Latency and requests/s on 2 shared cores move with whatever else runs; the CPU a request costs
moves far less, so it is what tells one version of the code from the next. The server is
`studyplanner api serve --port <port>` and every process below it (uvicorn's workers); the
database side is every backend connected to the run's scratch database when the measured run
starts (the pools keep theirs open; one opened and closed during the run is not counted).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_PROC = Path("/proc")


def _processes() -> Iterable[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process still there."""
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces: split after it.
        fields = stat.rsplit(")", 1)[1].split()
        yield int(entry.name), int(fields[1]), cmdline


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # gone
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_pids(port: int) -> list[int]:
    procs = list(_processes())
    roots = {pid for pid, _, cmd in procs if "api serve" in cmd and f"--port {port}" in cmd}
    found = set(roots)
    grew = True
    while grew:
        children = {pid for pid, parent, _ in procs if parent in found} - found
        found |= children
        grew = bool(children)
    return sorted(found)


def backend_pids(database: str) -> list[int]:
    return sorted(pid for pid, _, cmd in _processes() if f" {database} " in cmd)


def cpu_times(pids: Iterable[int]) -> dict[int, float]:
    times = {pid: _cpu_seconds(pid) for pid in pids}
    return {pid: t for pid, t in times.items() if t is not None}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings, over the processes alive at both (a process that
    ended in between is not counted: the figure can only be low, never negative)."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def available() -> bool:
    return (_PROC / "self" / "stat").exists()
