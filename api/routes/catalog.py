"""What is studied, entered by hand (seed 004's "Manual Data Entry", served under /v1):
`POST/GET /v1/courses`, `GET /v1/courses/{course_id}`, topics with prerequisites and
assessments with topic shares under a course, and `POST /v1/performance`.

Each write is one call of the function the CLI's `course add`, `topic add`, `assessment add`
and `performance add` call (services.catalog, services.performance), after validation by the
same models. They upsert by natural key (course code, topic name, assessment name): 201 when
the row is new, 200 when it existed (and was updated to what was sent).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from api.deps import CurrentPrincipal, DbSession, owned
from api.errors import COMMON_RESPONSES, ApiError, FieldError
from api.owners import acting_user, in_request, now_utc, owned_course
from api.pagination import Page, Pagination, paginate
from api.resources import (
    AssessmentOut,
    CourseCreate,
    CourseOut,
    MasteryOut,
    PerformanceCreate,
    PerformanceOut,
    TopicOut,
)
from db.models import Assessment, Course, MasteryRecord, StudyPath, Topic
from planner.problems import InvalidInput
from services import catalog
from services.performance import record_performance
from services.schemas import AssessmentIn, CourseIn, PerformanceIn, TopicIn

router = APIRouter(tags=["courses"], responses=COMMON_RESPONSES)

UPSERTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "It existed already (natural key): updated to what was sent"}
}
UserQuery = Annotated[
    uuid.UUID | None, Query(description="Whose (default: the caller; admins name anyone).")
]


def _path_ids(session: DbSession, course_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = session.execute(
        select(StudyPath.course_id, StudyPath.id).where(StudyPath.course_id.in_(course_ids))
    )
    return {course_id: path_id for course_id, path_id in rows}


def _course_out(session: DbSession, course: Course) -> CourseOut:
    return CourseOut.of(course, _path_ids(session, [course.id]).get(course.id))


@router.post(
    "/courses", response_model=CourseOut, status_code=201, summary="Add (or update) a course",
    responses=UPSERTED,
)  # fmt: skip
def create_course(
    body: CourseCreate, principal: CurrentPrincipal, session: DbSession, response: Response
) -> CourseOut:
    user = acting_user(session, principal, body.user_id, where="body.user_id")
    data = CourseIn.model_validate(body.model_dump(exclude={"user_id"}))
    try:
        outcome = catalog.upsert_course(session, user, data)
    except InvalidInput as exc:
        raise in_request(exc) from None
    if not outcome.created:
        response.status_code = 200
    course = session.get(Course, outcome.id)
    assert course is not None
    response.headers["Location"] = f"/v1/courses/{course.id}"
    return _course_out(session, course)


@router.get("/courses", response_model=Page[CourseOut], summary="A student's courses")
def list_courses(
    principal: CurrentPrincipal,
    session: DbSession,
    page: Pagination,
    request: Request,
    user_id: UserQuery = None,
) -> Page[CourseOut]:
    user = acting_user(session, principal, user_id, where="query.user_id")
    stmt = select(Course).where(Course.user_id == user.id).order_by(Course.code, Course.id)
    courses = paginate(session, stmt, page, request, lambda c: c)
    paths = _path_ids(session, [c.id for c in courses.items])
    return Page[CourseOut](
        items=[CourseOut.of(c, paths.get(c.id)) for c in courses.items],
        limit=courses.limit,
        offset=courses.offset,
        next_offset=courses.next_offset,
        next=courses.next,
    )


@router.get("/courses/{course_id}", response_model=CourseOut, summary="One course")
def get_course(course_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession) -> CourseOut:
    return _course_out(session, owned_course(session, principal, course_id))


def _topic_names(session: DbSession, course: Course) -> dict[str, str]:
    rows = session.execute(select(Topic.id, Topic.name).where(Topic.course_id == course.id))
    return {str(topic_id): name for topic_id, name in rows}


@router.post(
    "/courses/{course_id}/topics", response_model=TopicOut, status_code=201,
    summary="Add (or update) a topic; prerequisites are names of the course's topics",
    responses=UPSERTED,
)  # fmt: skip
def create_topic(
    course_id: uuid.UUID,
    body: TopicIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> TopicOut:
    course = owned_course(session, principal, course_id)
    try:
        outcome = catalog.upsert_topic(session, course, body)
    except InvalidInput as exc:
        raise in_request(exc) from None
    if not outcome.created:
        response.status_code = 200
    topic = session.get(Topic, outcome.id)
    assert topic is not None
    return TopicOut.of(topic, _topic_names(session, course))


@router.get(
    "/courses/{course_id}/topics", response_model=Page[TopicOut], summary="A course's topics"
)
def list_topics(
    course_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    page: Pagination,
    request: Request,
) -> Page[TopicOut]:
    course = owned_course(session, principal, course_id)
    names = _topic_names(session, course)
    stmt = (
        select(Topic)
        .where(Topic.course_id == course.id)
        .order_by(Topic.order_index, Topic.name, Topic.id)
    )
    return paginate(session, stmt, page, request, lambda t: TopicOut.of(t, names))


def _assessment_out(session: DbSession, assessment: Assessment) -> AssessmentOut:
    names = {
        uuid.UUID(k): v for k, v in _topic_names(session, assessment.course).items()
    }  # fmt: skip
    return AssessmentOut.of(assessment, names)


@router.post(
    "/courses/{course_id}/assessments", response_model=AssessmentOut, status_code=201,
    summary="Add (or update) an assessment; topic_weights name the course's topics",
    responses=UPSERTED,
)  # fmt: skip
def create_assessment(
    course_id: uuid.UUID,
    body: AssessmentIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> AssessmentOut:
    course = owned_course(session, principal, course_id)
    try:
        outcome = catalog.upsert_assessment(session, course, body)
    except InvalidInput as exc:
        raise in_request(exc, rename={"topics": "topic_weights"}) from None
    if not outcome.created:
        response.status_code = 200
    assessment = session.get(Assessment, outcome.id)
    assert assessment is not None
    session.refresh(assessment, ["topic_links"])
    return _assessment_out(session, assessment)


@router.get(
    "/courses/{course_id}/assessments",
    response_model=Page[AssessmentOut],
    summary="A course's assessments, by due date",
)
def list_assessments(
    course_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    page: Pagination,
    request: Request,
) -> Page[AssessmentOut]:
    course = owned_course(session, principal, course_id)
    names = {uuid.UUID(k): v for k, v in _topic_names(session, course).items()}
    stmt = (
        select(Assessment)
        .where(Assessment.course_id == course.id)
        .order_by(Assessment.due_date, Assessment.name, Assessment.id)
    )
    return paginate(session, stmt, page, request, lambda a: AssessmentOut.of(a, names))


def _not_in_course(field: str, reason: str) -> ApiError:
    return ApiError(
        422, "the request is not valid", fields=[FieldError(path=f"body.{field}", reason=reason)]
    )


@router.post(
    "/performance", response_model=PerformanceOut, status_code=201,
    summary="Record a scored result; the mastery of its topics is updated with it",
    responses=UPSERTED,
)  # fmt: skip
def create_performance(
    body: PerformanceCreate, principal: CurrentPrincipal, session: DbSession, response: Response
) -> PerformanceOut:
    assessment = None
    if body.assessment_id is not None:
        assessment = owned(
            session, principal, Assessment, body.assessment_id, what="assessment",
            owner=lambda a: a.course.user_id,
        )  # fmt: skip
    if body.course_id is not None:
        course = owned_course(session, principal, body.course_id)
        if assessment is not None and assessment.course_id != course.id:
            raise _not_in_course("assessment_id", "the assessment is not one of this course")
    elif assessment is not None:
        course = assessment.course
    else:
        raise _not_in_course("course_id", "give the course (or the assessment) of the result")
    user = acting_user(session, principal, body.user_id or course.user_id, where="body.user_id")
    if user.id != course.user_id:
        raise ApiError(404, "course not found")
    topics = {t.name: t.id for t in course.topics} | {str(t.id): t.id for t in course.topics}
    unknown = [key for key in body.topic_breakdown if key not in topics]
    if unknown:
        raise ApiError(
            422,
            "the request is not valid",
            fields=[
                FieldError(path=f"body.topic_breakdown.{k}", reason="not a topic of this course")
                for k in unknown
            ],
        )
    breakdown: dict[uuid.UUID, dict[str, Any]] = {
        topics[key]: counts.model_dump(exclude_none=True)
        for key, counts in body.topic_breakdown.items()
    }
    result = PerformanceIn.model_validate(
        body.model_dump(exclude={"user_id", "course_id", "assessment_id", "topic_breakdown"})
    )
    try:
        outcome = record_performance(
            session, user, course_id=course.id, result=result, topic_breakdown=breakdown,
            assessment=assessment, now=now_utc(),
        )  # fmt: skip
    except InvalidInput as exc:
        raise in_request(exc) from None
    if not outcome.created:
        response.status_code = 200
    names = {t.id: t.name for t in course.topics}
    mastery = session.scalars(
        select(MasteryRecord).where(
            MasteryRecord.user_id == user.id, MasteryRecord.topic_id.in_(outcome.topics_updated)
        )
    )
    return PerformanceOut(
        record_id=outcome.record_id,
        created=outcome.created,
        mastery=[
            MasteryOut(
                topic_id=m.topic_id,
                topic=names.get(m.topic_id, str(m.topic_id)),
                mastery_score=m.mastery_score,
                confidence_interval=m.confidence_interval,
                next_review_date=m.next_review_date,
            )
            for m in sorted(mastery, key=lambda m: names.get(m.topic_id, ""))
        ],
    )
