# syntax=docker/dockerfile:1
# livetrust: one image for every part. Each Kubernetes Deployment runs `livetrust serve <part>`; the
# migration Jobs run `livetrust migrate <part>`. No secrets are baked in: they arrive at run time as
# mounted files (<NAME>_FILE) or environment variables.
#
#   docker build -t registry.example.com/livetrust/livetrust:0.1.0 .
#
# The base image is pinned by tag. Pin its digest as well for reproducible builds (docs/operations.md,
# "Pin images"): --build-arg PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- builder: a wheel of the project (and of every dependency), installed into a virtualenv ----------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the wheel is built from (.dockerignore keeps caches, venvs and tests out of the context).
COPY pyproject.toml README.md ./
COPY livetrust ./livetrust
COPY gateway ./gateway
COPY services ./services

# tzdata: named time zones (Asia/Shanghai) must resolve even where the OS ships no zoneinfo.
# The last line is a smoke test: the CLI imports.
RUN python -m venv /opt/venv \
 && pip wheel . -w /wheels \
 && /opt/venv/bin/pip install --no-index --find-links=/wheels livetrust \
 && /opt/venv/bin/pip install "tzdata==2026.6" \
 && /opt/venv/bin/livetrust --help >/dev/null

# --- runtime: the virtualenv only, as an unprivileged numeric user ---------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="livetrust" \
      org.opencontainers.image.description="Compliance backbone for live-commerce platforms (gRPC services)"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    LIVETRUST_DATA_DIR=/tmp/livetrust

RUN groupadd --system --gid 10001 livetrust \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin livetrust

# Same path as in the builder, so the venv's scripts keep their interpreter line.
COPY --from=builder /opt/venv /opt/venv

# Numeric, so Kubernetes runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /tmp

# gateway, credit, blacklist, identity, retention
EXPOSE 50051 50052 50053 50054 50055

# Python is PID 1 and handles SIGTERM itself (graceful drain for LIVETRUST_GRACE_SECONDS).
STOPSIGNAL SIGTERM
ENTRYPOINT ["livetrust"]
CMD ["serve", "gateway"]
