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
COPY emulators ./emulators
COPY migrations ./migrations
COPY api ./api
# The data folder exists in the image and belongs to the app user: a named volume mounted there
# (beat's schedule) starts with this owner, so the non-root process can write it.
RUN pip install ".[flower]" \
    && useradd --create-home --uid 10001 studyplanner \
    && mkdir -p /home/studyplanner/var \
    && chown studyplanner:studyplanner /home/studyplanner/var

USER studyplanner
ENV STUDYPLANNER_VAR_DIR=/home/studyplanner/var
CMD ["celery", "-A", "worker", "worker", "-E", "--loglevel=INFO"]
