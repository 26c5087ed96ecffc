"""Throughput of the worker on PostgreSQL + Redis against both emulators (issue 7).

Five figures, each printed as a JSON line by `python -m bench.throughput`:

1. dispatch: one `dispatch_due_syncs` run over 1,000 / 10,000 due users (bulk-seeded rows, no
   courses), timed in-process; its publishes go to the real Redis broker, then the queue is purged.
2. sync throughput: N small students connected to both emulators, synced by 1 and 2 real
   `celery worker --pool=solo` processes; users per minute for the cold sync (plans and pushes
   everything) and the no-op sync (nothing changed).
3. API calls per user, from the emulators' request counters (cold and no-op).
4. SQL statements per user sync, counted with a `before_cursor_execute` listener around an
   in-process `services.sync.run.sync_user`, for students with 2 and with 8 assessments.
5. worker RSS: the highest VmRSS of the worker processes while they ran.

Each stage uses its own scratch database (created from the base URL, dropped afterwards) and
fresh emulators, so a 2-worker cold sync is as cold as the 1-worker one.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from celery import Celery
from celery._state import _set_task_join_will_block, task_join_will_block
from sqlalchemy import Engine, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.chaos import Worker, worker_env
from bench.students import seed_small_student
from db import crypto, migrate
from db.enums import IntegrationHealth, SyncOutcome
from db.models import IntegrationSettings, SyncRun, User
from db.session import make_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from services.connect import connect_google, connect_notion
from services.settings import Settings
from services.sync.run import SyncOptions, sync_user
from tasks.celery_app import MAINTENANCE_QUEUE, SYNC_QUEUE, create_app
from tasks.sync import SYNC_TASK

DISPATCH_TASK = "studyplanner.maintenance.dispatch_due_syncs"
SQL_BUDGET = 15
RSS_BUDGET_MB = 150
Log = Callable[[str], None]


@dataclass(frozen=True)
class ThroughputConfig:
    base_database_url: str  # scratch databases are created next to it
    broker_url: str
    workdir: Path
    users: int = 1000
    dispatch_users: tuple[int, ...] = (1000, 10000)
    workers: tuple[int, ...] = (1, 2)
    assessments: int = 2
    sql_sample: int = 5  # students per size (2 and 8 assessments) for the SQL count
    seed_processes: int = 2
    sync_timeout_s: float = 1200.0
    task_time_limit_s: int = 60
    seed: int = 11
    stages: tuple[str, ...] = ("dispatch", "sql", "sync")
    malloc_arena_max: int | None = None  # glibc malloc arenas of the workers (None: default)
    fernet_key: str | None = None  # None: a fresh one


@dataclass(frozen=True)
class Metric:
    metric: str
    value: float
    unit: str
    users: int
    workers: int | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# --- scratch databases ----------------------------------------------------------------------------


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """A fresh, migrated database next to `base_url` (as tests/conftest.py makes them)."""
    base = make_url(base_url)
    name = f"studyplanner_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        try:
            migrate.upgrade(url)
            yield url
        finally:
            from db.session import dispose_all

            dispose_all()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def base_settings(config: ThroughputConfig, database_url: str, keys: str, **extra: Any) -> Settings:
    return Settings(
        var_dir=config.workdir / "var",
        database_url=database_url,
        broker_url=config.broker_url,
        fernet_keys=keys,
        task_time_limit_s=config.task_time_limit_s,
        task_soft_time_limit_s=max(1, config.task_time_limit_s - 5),
        dispatch_spread_max_s=0,
        **extra,
    )


def emulator_settings(
    config: ThroughputConfig,
    database_url: str,
    keys: str,
    google: GoogleEmulator,
    notion: NotionEmulator,
) -> Settings:
    grant = google.admin.grant()
    return base_settings(
        config,
        database_url,
        keys,
        google_api_endpoint=google.base_url,
        google_token_uri=google.token_uri,
        google_client_id=grant["client_id"],
        google_client_secret=grant["client_secret"],
        notion_base_url=notion.base_url,
        # Every emulated student has their own Notion token: the per-token limiter must not be
        # what this benchmark measures.
        notion_rate_per_s=1000.0,
        notion_burst=1000,
    )


def purge_sync_queue(app: Celery) -> int:
    """Empty the sync queue (and the maintenance queue, where dispatch's batches wait)."""
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare(MAINTENANCE_QUEUE)
        conn.default_channel.queue_purge(MAINTENANCE_QUEUE)
        return int(conn.default_channel.queue_purge(SYNC_QUEUE) or 0)


def queued_sync_tasks(app: Celery) -> int:
    with app.connection_for_write() as conn:
        declared = conn.default_channel.queue_declare(SYNC_QUEUE, passive=True)
        return int(declared.message_count)


# --- 1. dispatch ----------------------------------------------------------------------------------


def seed_due_users(engine: Engine, count: int) -> None:
    """Users with Google enabled and healthy and never synced: all due. Bulk inserts only."""
    users = [
        {"id": uuid.uuid4(), "email": f"due{i}@example.edu", "full_name": f"due{i}"}
        for i in range(count)
    ]
    rows = [
        {
            "user_id": user["id"],
            "google_calendar_enabled": True,
            "google_health": IntegrationHealth.OK,
            "next_sync_at": None,
        }
        for user in users
    ]
    with session_scope(engine) as session:
        session.execute(insert(User), users)
        session.execute(insert(IntegrationSettings), rows)


def measure_dispatch(config: ThroughputConfig, keys: str, count: int, log: Log) -> list[Metric]:
    with scratch_database(config.base_database_url) as url:
        engine = make_engine(url)
        try:
            seed_due_users(engine, count)
        finally:
            engine.dispose()
        app = create_app(base_settings(config, url, keys))
        # The task publishes through the shared `sync_user_task`, i.e. the current app.
        app.set_current()
        purge_sync_queue(app)
        task = app.tasks[DISPATCH_TASK]
        # As inside a worker's pool (celery.concurrency.base.BasePool.task_join_will_block):
        # outside one, every publish would also subscribe this process to the task's result.
        was = task_join_will_block()
        _set_task_join_will_block(True)
        try:
            started = time.perf_counter()
            outcome = task.apply()
            elapsed = time.perf_counter() - started
        finally:
            _set_task_join_will_block(was)
        outcome.maybe_throw()
        result = outcome.result
        # The workers' half: expand each batch message into per-user syncs (timed in-process,
        # as one worker would; with N workers the batches are shared out).
        fanout_started = time.perf_counter()
        batches = expand_dispatch_batches(app)
        fanout = time.perf_counter() - fanout_started
        queued = queued_sync_tasks(app)
        purge_sync_queue(app)
        app.close()
    if result["dispatched"] != count or queued != count:
        raise RuntimeError(f"dispatched {result['dispatched']}, queued {queued}, wanted {count}")
    log(
        f"dispatch of {count} due users: {elapsed:.3f} s in beat's task ({batches} batch "
        f"messages), then {fanout:.3f} s of fan-out on the workers ({queued} syncs queued)"
    )
    return [
        Metric("dispatch_wall_time", round(elapsed, 3), "s", count),
        Metric("dispatch_rate", round(count / elapsed), "users/s", count),
        Metric("dispatch_fanout_wall_time", round(fanout, 3), "s", count),
    ]


def expand_dispatch_batches(app: Celery) -> int:
    """Take the `publish_syncs` messages dispatch left on the maintenance queue and run each,
    in-process, the way a worker would."""
    publish = app.tasks["studyplanner.maintenance.publish_syncs"]
    expanded = 0
    with app.connection_for_write() as conn:
        queue = conn.SimpleQueue(MAINTENANCE_QUEUE)
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                args, _kwargs, _embed = message.decode()
                message.ack()
                if message.headers.get("task") != publish.name:
                    continue
                was = task_join_will_block()
                _set_task_join_will_block(True)
                try:
                    publish.apply(args=args).maybe_throw()
                finally:
                    _set_task_join_will_block(was)
                expanded += 1
        finally:
            queue.close()
    return expanded


# --- seeding students -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentSpec:
    email: str
    seed: int
    assessments: int
    grant: dict[str, Any]
    notion_token: str
    notion_database_id: str


def _init_seeder(keys: str) -> None:
    crypto.configure_keys([keys])


def _seed_chunk(url: str, settings: Settings, specs: list[StudentSpec]) -> list[str]:
    """Runs in a seeding process: the service functions, one student per transaction."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    ids: list[str] = []
    try:
        for spec in specs:
            user_id = seed_small_student(
                engine,
                now,
                email=spec.email,
                rng=random.Random(spec.seed),
                assessments=spec.assessments,
            )
            with session_scope(engine) as session:
                user = session.get(User, user_id)
                assert user is not None
                connect_google(session, user, spec.grant)
                connect_notion(
                    session,
                    settings,
                    user,
                    token=spec.notion_token,
                    database_id=spec.notion_database_id,
                )
            ids.append(str(user_id))
    finally:
        engine.dispose()
    return ids


def seed_students(
    config: ThroughputConfig,
    url: str,
    settings: Settings,
    google: GoogleEmulator,
    notion: NotionEmulator,
    *,
    count: int,
    assessments: int,
    prefix: str,
) -> list[uuid.UUID]:
    specs = []
    for index in range(count):
        email = f"{prefix}{index}@example.edu"
        workspace = notion.admin.create_workspace()
        specs.append(
            StudentSpec(
                email=email,
                seed=config.seed + index,
                assessments=assessments,
                grant=google.admin.add_user(email),
                notion_token=workspace.token,
                notion_database_id=workspace.database_id,
            )
        )
    processes = max(1, min(config.seed_processes, count // 20))
    if processes == 1:
        return [uuid.UUID(i) for i in _seed_chunk(url, settings, specs)]
    chunks = [specs[i::processes] for i in range(processes)]
    # spawn, not fork: this process runs the emulators' threads.
    with ProcessPoolExecutor(
        processes,
        mp_context=get_context("spawn"),
        initializer=_init_seeder,
        initargs=(keys_of(settings),),
    ) as pool:
        results = pool.map(_seed_chunk, [url] * processes, [settings] * processes, chunks)
        return [uuid.UUID(i) for chunk in results for i in chunk]


def keys_of(settings: Settings) -> str:
    return ",".join(settings.fernet_key_list())


# --- worker processes and their memory ------------------------------------------------------------


class RssSampler:
    """Highest VmRSS of a set of processes (and their children), read from /proc."""

    def __init__(self, pids: Callable[[], list[int]], interval_s: float = 0.2) -> None:
        self._pids = pids
        self._interval = interval_s
        self.max_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            for pid in self._pids():
                for each in (pid, *_children(pid)):
                    self.max_kb = max(self.max_kb, _rss_kb(each))

    @property
    def max_mb(self) -> float:
        return round(self.max_kb / 1024, 1)

    def current_mb(self) -> float:
        """The largest process right now."""
        sizes = [_rss_kb(each) for pid in self._pids() for each in (pid, *_children(pid))]
        return round(max(sizes, default=0) / 1024, 1)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def wait_for_workers(app: Celery, count: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise TimeoutError(f"{count} workers did not answer a ping within {timeout_s:.0f}s")


# --- 2, 3, 5. sync throughput ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoundResult:
    seconds: float
    ok: int
    not_ok: int
    google_requests: int
    notion_requests: int
    breakdown: str  # which calls, for the log


def run_round(
    app: Celery,
    engine: Engine,
    google: GoogleEmulator,
    notion: NotionEmulator,
    users: list[uuid.UUID],
    trigger: str,
    timeout_s: float,
) -> RoundResult:
    google.admin.reset_counters()
    notion.admin.reset_counters()
    started = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for user_id in users:
            app.send_task(SYNC_TASK, args=(str(user_id), trigger), producer=producer)
    deadline = time.monotonic() + timeout_s
    done: dict[SyncOutcome, int] = {}
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            done = dict(
                session.execute(
                    select(SyncRun.outcome, func.count())
                    .where(SyncRun.trigger == trigger, SyncRun.outcome != SyncOutcome.RUNNING)
                    .group_by(SyncRun.outcome)
                ).all()
            )
        if sum(done.values()) >= len(users):
            break
        time.sleep(0.25)
    else:
        raise TimeoutError(f"{trigger}: {sum(done.values())}/{len(users)} syncs in {timeout_s}s")
    seconds = time.perf_counter() - started
    ok = done.get(SyncOutcome.OK, 0)
    google_counts = google.admin.counters()
    notion_counts = notion.admin.counters()["requests"]
    parts = [f"{k} {v}" for k, v in sorted(google_counts.items()) if k != "http"]
    parts += [f"{k} {v}" for k, v in sorted(notion_counts.items())]
    return RoundResult(
        seconds=seconds,
        ok=ok,
        not_ok=sum(done.values()) - ok,
        google_requests=google_counts.get("http", 0),
        notion_requests=sum(notion_counts.values()),
        breakdown=", ".join(parts),
    )


def round_metrics(kind: str, result: RoundResult, users: int, workers: int) -> list[Metric]:
    return [
        Metric(
            f"sync_{kind}_users_per_min",
            round(users / result.seconds * 60, 1),
            "users/min",
            users,
            workers,
        ),
        Metric(f"sync_{kind}_wall_time", round(result.seconds, 2), "s", users, workers),
        Metric(f"sync_{kind}_not_ok", result.not_ok, "syncs", users, workers),
        Metric(
            f"api_calls_per_user_{kind}_google",
            round(result.google_requests / users, 2),
            "requests/user",
            users,
            workers,
        ),
        Metric(
            f"api_calls_per_user_{kind}_notion",
            round(result.notion_requests / users, 2),
            "requests/user",
            users,
            workers,
        ),
    ]


@contextmanager
def emulators(config: ThroughputConfig) -> Iterator[tuple[GoogleEmulator, NotionEmulator]]:
    google = start_google_emulator("127.0.0.1", 0, seed=config.seed, rate_limit_per_minute=0)
    notion = start_notion_emulator(
        "127.0.0.1", 0, rate_per_s=1000.0, burst=1000.0, seed=config.seed
    )
    try:
        yield google, notion
    finally:
        google.stop()
        notion.stop()


def measure_sync(config: ThroughputConfig, keys: str, workers: int, log: Log) -> list[Metric]:
    users = config.users
    metrics: list[Metric] = []
    with scratch_database(config.base_database_url) as url, emulators(config) as (google, notion):
        settings = emulator_settings(config, url, keys, google, notion)
        started = time.perf_counter()
        ids = seed_students(
            config,
            url,
            settings,
            google,
            notion,
            count=users,
            assessments=config.assessments,
            prefix=f"w{workers}s",
        )
        seeding = time.perf_counter() - started
        log(f"seeded {users} students in {seeding:.1f} s")
        metrics.append(Metric("seed_students_wall_time", round(seeding, 2), "s", users, workers))
        app = create_app(settings)
        engine = make_engine(url)
        purge_sync_queue(app)
        env = worker_env(settings)
        if config.malloc_arena_max is not None:
            env["MALLOC_ARENA_MAX"] = str(config.malloc_arena_max)
        pool = [Worker(env, config.workdir / f"worker-{workers}-{i}.log") for i in range(workers)]
        try:
            for worker in pool:
                worker.start()
            wait_for_workers(app, workers)

            def pids() -> list[int]:
                return [w.proc.pid for w in pool if w.proc is not None]

            with RssSampler(pids) as rss:
                metrics.append(Metric("worker_rss_idle", rss.current_mb(), "MB", users, workers))
                for kind in ("cold", "noop"):
                    result = run_round(
                        app, engine, google, notion, ids, f"bench-{kind}", config.sync_timeout_s
                    )
                    log(
                        f"{workers} worker(s), {kind}: {users} users in {result.seconds:.1f} s "
                        f"({users / result.seconds * 60:.0f}/min), {result.not_ok} not OK, "
                        f"{result.google_requests} Google + {result.notion_requests} Notion calls "
                        f"({result.breakdown})"
                    )
                    metrics += round_metrics(kind, result, users, workers)
                    metrics.append(
                        Metric(f"worker_rss_after_{kind}", rss.current_mb(), "MB", users, workers)
                    )
            metrics.append(Metric("worker_max_rss", rss.max_mb, "MB", users, workers))
            log(f"{workers} worker(s): max RSS {rss.max_mb} MB")
        finally:
            for worker in pool:
                worker.stop()
            purge_sync_queue(app)
            app.close()
            engine.dispose()
    return metrics


# --- 4. SQL statements per sync -------------------------------------------------------------------


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """Every statement any engine of this process sends (the pipeline may open its own)."""
    statements: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement_kind(statement))

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def statement_kind(statement: str) -> str:
    """ "INSERT study_tasks", "SELECT users", "BEGIN"…: enough to see where statements go."""
    verb = statement.split(None, 1)[0].upper()
    table = re.search(r"\b(?:INTO|UPDATE|FROM)\s+\"?(\w+)", statement, re.IGNORECASE)
    return f"{verb} {table.group(1)}" if table and verb != "WITH" else verb


@dataclass
class SqlSample:
    per_sync: dict[str, list[int]]  # "cold" / "noop" -> statements of each user's sync
    breakdown: dict[str, Counter[str]]  # "cold" / "noop" -> statement kinds over all syncs
    tasks: list[int]  # study tasks of each user after the cold sync


def count_sync_statements(engine: Engine, settings: Settings, ids: list[uuid.UUID]) -> SqlSample:
    sample = SqlSample({"cold": [], "noop": []}, {"cold": Counter(), "noop": Counter()}, [])
    for user_id in ids:
        for kind in ("cold", "noop"):
            with counting_statements() as statements:
                report = sync_user(
                    engine, settings, user_id, options=SyncOptions(trigger=f"sql-{kind}")
                )
            if report.outcome is not SyncOutcome.OK:
                raise RuntimeError(f"{kind} sync of {user_id}: {report.summary()}")
            sample.per_sync[kind].append(len(statements))
            sample.breakdown[kind].update(statements)
        sample.tasks.append(_live_tasks(engine, user_id))
    return sample


def measure_sql(config: ThroughputConfig, keys: str, log: Log) -> list[Metric]:
    metrics: list[Metric] = []
    size = config.sql_sample
    with scratch_database(config.base_database_url) as url, emulators(config) as (google, notion):
        settings = emulator_settings(config, url, keys, google, notion)
        engine = make_engine(url)
        try:
            for assessments in (2, 8):
                ids = seed_students(
                    config,
                    url,
                    settings,
                    google,
                    notion,
                    count=size,
                    assessments=assessments,
                    prefix=f"sql{assessments}s",
                )
                sample = count_sync_statements(engine, settings, ids)
                mean_tasks = sum(sample.tasks) / len(sample.tasks)
                for kind, values in sample.per_sync.items():
                    top = ", ".join(
                        f"{name} {n / len(values):g}"
                        for name, n in sample.breakdown[kind].most_common(8)
                    )
                    log(
                        f"SQL per {kind} sync, {assessments} assessments (~{mean_tasks:.1f} "
                        f"tasks): min {min(values)} max {max(values)}; per sync: {top}"
                    )
                    metrics.append(
                        Metric(
                            f"sql_statements_per_sync_{kind}_{assessments}_assessments",
                            max(values),
                            "statements",
                            size,
                        )
                    )
                metrics.append(
                    Metric(
                        f"tasks_per_user_{assessments}_assessments",
                        round(mean_tasks, 1),
                        "tasks",
                        size,
                    )
                )
        finally:
            engine.dispose()
    return metrics


def _live_tasks(engine: Engine, user_id: uuid.UUID) -> int:
    from db.models import StudyTask

    with session_scope(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(StudyTask).where(StudyTask.user_id == user_id)
            )
            or 0
        )


# --- the whole run --------------------------------------------------------------------------------


def run(
    config: ThroughputConfig, *, log: Log = print, emit: Callable[[Metric], None] | None = None
) -> list[Metric]:
    from cryptography.fernet import Fernet

    config.workdir.mkdir(parents=True, exist_ok=True)
    keys = config.fernet_key or Fernet.generate_key().decode()
    crypto.configure_keys([keys])
    metrics: list[Metric] = []

    def add(new: list[Metric]) -> None:
        metrics.extend(new)
        for metric in new:
            if emit is not None:
                emit(metric)

    if "dispatch" in config.stages:
        for count in config.dispatch_users:
            add(measure_dispatch(config, keys, count, log))
    if "sql" in config.stages:
        add(measure_sql(config, keys, log))
    if "sync" in config.stages:
        for workers in config.workers:
            add(measure_sync(config, keys, workers, log))
    return metrics
