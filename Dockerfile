# Image of every Tide deployable: `tide registry serve`, `tide worker`, `tide jobs ...`,
# `tide schema sync`, `tide sql ...`. Used by docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . /src
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 --user-group tide \
    && mkdir -p /data \
    && chown tide:tide /data

# Local state (registry SQLite file, outbox, worker state). A named volume mounted on
# /data inherits this ownership, so the non-root user can write to it.
ENV TIDE_DATA_DIR=/data
USER tide
WORKDIR /data

ENTRYPOINT ["tide"]
CMD ["--help"]
