# One image for every role (migrate, api, worker, beat, flower): docker-compose.yml picks the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY worker ./worker
COPY tasks ./tasks
COPY services ./services
COPY planner ./planner
COPY sync ./sync
COPY integrations ./integrations
COPY db ./db
COPY migrations ./migrations
COPY api ./api
RUN pip install . "flower>=2.0" && useradd --create-home --uid 10001 studyplanner

USER studyplanner
ENV STUDYPLANNER_VAR_DIR=/home/studyplanner/var
CMD ["celery", "-A", "worker", "worker", "-E", "--loglevel=INFO"]
