"""CLI commands for what the planner needs to know: students, courses, topics, assessments,
results, CSV imports and LMS feeds. Each command is one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.problems import InvalidInput
from planner.vocabulary import AssessmentType, Difficulty
from worker.cli_common import (
    CourseOpt,
    UserOpt,
    console,
    local_iso,
    local_time,
    now_utc,
    parse_when,
    real_console,
    unit_of_work,
    validated,
)

# --- user, course, topic, assessment, performance -------------------------------------------------

user_app = typer.Typer(help="Students.", no_args_is_help=True)
course_app = typer.Typer(help="Courses.", no_args_is_help=True)
topic_app = typer.Typer(help="Topics of a course (the learning path).", no_args_is_help=True)
assessment_app = typer.Typer(help="Quizzes, assignments, exams, projects.", no_args_is_help=True)
performance_app = typer.Typer(help="Scored results (they update mastery).", no_args_is_help=True)
import_app = typer.Typer(help="CSV imports (all-or-nothing).", no_args_is_help=True)
feed_app = typer.Typer(
    help="LMS calendar feeds (Canvas, Moodle, Blackboard).", no_args_is_help=True
)


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="Email address.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    timezone: Annotated[
        str | None,
        typer.Option(
            help="IANA time zone, e.g. Europe/Berlin (default: the preferences file's, else UTC)."
        ),
    ] = None,
    preferences: Annotated[
        Path | None, typer.Option(help="Preferences as a JSON or YAML file (seed 004 fields).")
    ] = None,
    max_hours_per_day: Annotated[float | None, typer.Option(help="1–16.")] = None,
    block_minutes: Annotated[int | None, typer.Option(help="Preferred block, 15–180.")] = None,
    break_minutes: Annotated[int | None, typer.Option(help="Break, 5–60.")] = None,
) -> None:
    """Add a student (or update one with the same email)."""
    from services import catalog
    from services.ingest.preferences_file import read_preferences
    from services.schemas import PreferencesIn, UserIn

    prefs_data: dict[str, Any] = {}
    if preferences is not None:
        try:
            raw = preferences.read_bytes()
        except OSError as exc:
            raise InvalidInput.single(
                f"cannot read {preferences}: {exc.strerror}", "preferences"
            ) from None
        prefs_data.update(read_preferences(raw, str(preferences)))
    for key, value in (
        ("max_hours_per_day", max_hours_per_day),
        ("preferred_block_length_min", block_minutes),
        ("break_length_min", break_minutes),
    ):
        if value is not None:
            prefs_data[key] = value
    # The student's zone may come with their preferences (the seed keeps it on the user).
    file_zone = prefs_data.pop("timezone", None)
    if file_zone is not None and timezone is not None and str(file_zone) != timezone:
        raise InvalidInput.single(
            f"--timezone {timezone} and the preferences file's timezone {file_zone} differ: "
            "give one of them",
            "timezone",
        )
    zone = timezone or (str(file_zone) if file_zone is not None else "UTC")
    data = validated(UserIn, {"email": email, "full_name": name, "timezone": zone}, "user")
    prefs = validated(PreferencesIn, prefs_data, "preferences")
    with unit_of_work() as session:
        outcome = catalog.upsert_user(session, data, prefs)
    verb = "added" if outcome.created else "updated" if outcome.changed else "unchanged"
    console.print(f"user {email} {verb} (id {outcome.id})")


@user_app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every student: id (any unique start of it works as --user), email, zone, connections."""
    import json

    from rich.table import Table

    from services import catalog

    with unit_of_work() as session:
        users = catalog.list_users(session)
    if as_json:
        rows = [
            {
                "id": str(u.id),
                "email": u.email,
                "name": u.full_name,
                "timezone": u.timezone,
                "courses": u.courses,
                "google": u.google,
                "notion": u.notion,
                "last_sync_at": local_iso(u.last_sync_at, u.timezone) or None,
            }
            for u in users
        ]
        print(json.dumps(rows, indent=2))
        return
    table = Table(
        "id", "email", "name", "time zone", "courses", "connected", "last sync (their time)",
        title="students",
    )  # fmt: skip
    for u in users:
        connected = ", ".join(n for n, on in (("Google", u.google), ("Notion", u.notion)) if on)
        table.add_row(
            str(u.id), u.email, u.full_name, u.timezone, str(u.courses), connected or "—",
            local_time(u.last_sync_at, u.timezone),
        )  # fmt: skip
    console.print(table)
    if not users:
        console.print("no students yet: 'studyplanner user add --email … --name …'")


@course_app.command("add")
def course_add(
    user: UserOpt,
    code: Annotated[str, typer.Option(help="Course code.")],
    name: Annotated[str, typer.Option(help="Course name.")],
    semester: Annotated[str, typer.Option(help="e.g. 'Fall 2026'.")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")],
    instructor: Annotated[str | None, typer.Option(help="Instructor.")] = None,
    assessments_complete: Annotated[
        bool, typer.Option(help="Every assessment entered: weights must then sum to 100.")
    ] = False,
) -> None:
    """Add a course (or update the one with the same code)."""
    from services import catalog
    from services.schemas import CourseIn

    data = validated(
        CourseIn,
        {
            "code": code,
            "name": name,
            "semester": semester,
            "start_date": start,
            "end_date": end,
            "instructor_name": instructor,
            "assessments_complete": assessments_complete,
        },
        "course",
    )
    with unit_of_work() as session:
        outcome = catalog.upsert_course(session, catalog.find_user(session, user), data)
    console.print(f"course {code} {'added' if outcome.created else 'updated'}")


@topic_app.command("add")
def topic_add(
    user: UserOpt,
    course: CourseOpt,
    name: Annotated[str, typer.Option(help="Topic name.")],
    difficulty: Annotated[Difficulty, typer.Option(help="Difficulty.")] = Difficulty.MEDIUM,
    order: Annotated[int, typer.Option(help="Position in the course (order_index).")] = 0,
    prerequisite: Annotated[
        list[str] | None, typer.Option(help="A topic that must come first (repeatable).")
    ] = None,
) -> None:
    """Add a topic; prerequisites must exist and must not form a cycle."""
    from services import catalog
    from services.schemas import TopicIn

    data = validated(
        TopicIn,
        {
            "name": name,
            "estimated_difficulty": difficulty,
            "order_index": order,
            "prerequisites": tuple(prerequisite or ()),
        },
        "topic",
    )
    with unit_of_work() as session:
        the_course = catalog.find_course(session, catalog.find_user(session, user), course)
        outcome = catalog.upsert_topic(session, the_course, data)
    console.print(f"topic {name} {'added' if outcome.created else 'updated'} in {course}")


def split_pairs(items: list[str] | None, field: str) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        name, sep, value = item.rpartition(":")
        if not sep or not name:
            raise InvalidInput.single(f"'{item}' is not NAME:VALUE", field)
        pairs[name] = value
    return pairs


@assessment_app.command("add")
def assessment_add(
    user: UserOpt,
    course: CourseOpt,
    name: Annotated[str, typer.Option(help="Assessment name.")],
    type_: Annotated[AssessmentType, typer.Option("--type", help="Kind of assessment.")],
    weight: Annotated[float, typer.Option(help="Weight in the course grade, 0–100.")],
    due: Annotated[str, typer.Option(help="Due: 2026-12-01, '2026-12-01 23:59' or ISO+offset.")],
    minutes: Annotated[int, typer.Option(help="Estimated work / sitting time in minutes.")],
    max_score: Annotated[float, typer.Option(help="Maximum score.")] = 100.0,
    topic: Annotated[
        list[str] | None, typer.Option(help="TOPIC:WEIGHT covered (repeatable; sum 100).")
    ] = None,
) -> None:
    """Add an assessment (or update the one with the same name)."""
    from services import catalog
    from services.schemas import AssessmentIn

    weights = {k: v for k, v in split_pairs(topic, "topic").items()}
    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        data = validated(
            AssessmentIn,
            {
                "name": name,
                "type": type_,
                "weight_percent": weight,
                "due_date": parse_when(due, student.timezone, "due"),
                "estimated_duration_min": minutes,
                "max_score": max_score,
                "topic_weights": weights,
            },
            "assessment",
        )
        the_course = catalog.find_course(session, student, course)
        outcome = catalog.upsert_assessment(session, the_course, data)
    console.print(f"assessment {name} {'added' if outcome.created else 'updated'} in {course}")


@performance_app.command("add")
def performance_add(
    user: UserOpt,
    course: CourseOpt,
    score: Annotated[float, typer.Option(help="Points scored.")],
    max_score: Annotated[float, typer.Option(help="Points possible.")],
    minutes: Annotated[int, typer.Option(help="Time spent, minutes (> 0).")],
    assessment: Annotated[
        str | None, typer.Option(help="Assessment name (omit for practice).")
    ] = None,
    date_: Annotated[str | None, typer.Option("--date", help="When (default: now).")] = None,
    topic: Annotated[
        list[str] | None, typer.Option(help="TOPIC:CORRECT/TOTAL breakdown (repeatable).")
    ] = None,
) -> None:
    """Record a scored result; the mastery of every topic in it is updated in the same step."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from db.models import Assessment
    from services import catalog
    from services.performance import record_performance
    from services.schemas import PerformanceIn, TopicResult

    with unit_of_work() as session:
        student = catalog.find_user(session, user)
        the_course = catalog.find_course(session, student, course)
        when = parse_when(date_, student.timezone, "date") if date_ else now_utc()
        result = validated(
            PerformanceIn,
            {
                "score": score,
                "max_score": max_score,
                "time_spent_min": minutes,
                "completed_at": when,
            },
            "performance",
        )
        the_assessment = None
        if assessment is not None:
            the_assessment = session.scalars(
                select(Assessment).where(
                    Assessment.course_id == the_course.id, Assessment.name == assessment
                )
            ).first()
            if the_assessment is None:
                raise InvalidInput.single(f"unknown assessment '{assessment}'", "assessment")
        topics = {t.name: t.id for t in the_course.topics}
        breakdown: dict[uuid.UUID, dict[str, Any]] = {}
        for name, counts in split_pairs(topic, "topic").items():
            if name not in topics:
                raise InvalidInput.single(f"unknown topic '{name}' in {course}", "topic")
            correct, _, total = counts.partition("/")
            try:
                breakdown[topics[name]] = TopicResult(
                    correct=int(correct), total=int(total)
                ).model_dump(exclude_none=True)
            except (ValueError, ValidationError):
                raise InvalidInput.single(
                    f"'{counts}' is not CORRECT/TOTAL with correct ≤ total", "topic"
                ) from None
        outcome = record_performance(
            session,
            student,
            course_id=the_course.id,
            result=result,
            topic_breakdown=breakdown,
            assessment=the_assessment,
            now=now_utc(),
        )
    console.print(
        f"result recorded; mastery updated for {len(outcome.topics_updated)} topic(s)"
        if outcome.created
        else "this result was already recorded: nothing changed"
    )


# --- imports --------------------------------------------------------------------------------------

Importer = Callable[..., Any]


def run_import(user: str, file: Path, kind: str, **kwargs: Any) -> None:
    from rich.progress import Progress

    from services import catalog
    from services.ingest import imports

    importer: Importer = getattr(imports, f"import_{kind}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput.single(f"cannot read {file}: {exc.strerror}", "file") from None
    with unit_of_work() as session, Progress(console=real_console(console), transient=True) as bar:
        job = bar.add_task(f"importing {file.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(job, completed=done, total=total)

        report = importer(
            session, catalog.find_user(session, user), data, source=file.name,
            progress=progress, **kwargs,
        )  # fmt: skip
    console.print(str(report))


FileArg = Annotated[Path, typer.Argument(help="The CSV file (format in the README).")]


@import_app.command("courses")
def import_courses_cmd(file: FileArg, user: UserOpt) -> None:
    """name,code,semester,start_date,end_date[,instructor,credit_hours,color,…]"""
    run_import(user, file, "courses")


@import_app.command("topics")
def import_topics_cmd(file: FileArg, user: UserOpt) -> None:
    """course_code,name[,difficulty,order_index,prerequisites,description]"""
    run_import(user, file, "topics")


@import_app.command("assessments")
def import_assessments_cmd(file: FileArg, user: UserOpt) -> None:
    """course_code,name,type,weight_percent,due,estimated_duration_min[,max_score,topics,…]"""
    run_import(user, file, "assessments")


@import_app.command("grades")
def import_grades_cmd(file: FileArg, user: UserOpt) -> None:
    """assessment_name,score,max_score,date[,course_code,topics,time_spent_min,attempt]"""
    run_import(user, file, "grades", now=now_utc())


@feed_app.command("add")
def feed_add(
    user: UserOpt,
    url: Annotated[str, typer.Option(help="The feed's https:// or webcal:// URL (encrypted).")],
    label: Annotated[str, typer.Option(help="A name for it, e.g. 'Canvas'.")] = "LMS",
    course: Annotated[
        str | None, typer.Option(help="Course for events whose course is not recognised.")
    ] = None,
) -> None:
    """Register a feed and import it now; a periodic task refreshes it afterwards."""
    from services import catalog
    from services.ingest.feeds import add_feed, feed_policy, refresh_feed
    from services.settings import get_settings

    with unit_of_work() as session:
        policy = feed_policy(get_settings())
        student = catalog.find_user(session, user)
        default = catalog.find_course(session, student, course).id if course else None
        feed = add_feed(
            session, student, label=label, url=url, default_course_id=default, policy=policy
        )
        outcome = refresh_feed(session, feed, now=now_utc(), policy=policy)
        if outcome.error:
            raise InvalidInput.single(outcome.error, "feed")
    console.print(f"feed '{label}' added; {outcome.report}")


@feed_app.command("refresh")
def feed_refresh(user: UserOpt) -> None:
    """Fetch and import every feed of a student now."""
    from sqlalchemy import select

    from db.models import AssessmentFeed
    from services import catalog
    from services.ingest.feeds import feed_policy, refresh_feed
    from services.settings import get_settings

    with unit_of_work() as session:
        policy = feed_policy(get_settings())
        student = catalog.find_user(session, user)
        feeds = session.scalars(select(AssessmentFeed).where(AssessmentFeed.user_id == student.id))
        for feed in feeds:
            outcome = refresh_feed(session, feed, now=now_utc(), policy=policy)
            console.print(f"{feed.label}: {outcome.report or 'failed: ' + str(outcome.error)}")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(course_app, name="course")
    app.add_typer(topic_app, name="topic")
    app.add_typer(assessment_app, name="assessment")
    app.add_typer(performance_app, name="performance")
    app.add_typer(import_app, name="import")
    app.add_typer(feed_app, name="feed")
