# syntax=docker/dockerfile:1
#
# Stage 1 builds colony's single executables from this repository (the pinned Node 24 comes from npm).
# Stage "colony" holds only the binary, for other Dockerfiles:
#     COPY --from=colony /usr/local/bin/colony /usr/local/bin/colony
# Stage "colony-musl" holds the x86-64 build that carries its glibc, for images without one (Alpine):
#     COPY --from=colony-musl /opt/colony /opt/colony
# The final stage is the example: a python:3-slim image running gunicorn, a celery worker and beat,
# and redis, all under colony as PID 1.
#
#   docker build -t colony-example .                 # the example image
#   docker build --target colony -t colony .         # just the binary, to COPY --from=colony
#   docker build --target colony-musl -t colony-musl .   # /opt/colony for Alpine images (x86-64)
#   docker run --rm -p 8000:8000 colony-example
#
# The build stage runs on an x64 builder (it makes both dist/colony and dist/colony-linux-arm64);
# TARGETARCH picks the one that goes into the image.

FROM --platform=linux/amd64 node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils binutils-aarch64-linux-gnu patchelf \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY bin/ bin/
COPY src/ src/
RUN npm run build:sea \
 && cp dist/colony dist/colony-amd64 \
 && cp dist/colony-linux-arm64 dist/colony-arm64

FROM scratch AS colony-musl
COPY --from=build /src/dist/colony-musl /opt/colony

FROM scratch AS colony
ARG TARGETARCH=amd64
COPY --from=build /src/dist/colony-${TARGETARCH} /usr/local/bin/colony

FROM python:3-slim AS example
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir gunicorn "celery[redis]"
COPY --from=colony /usr/local/bin/colony /usr/local/bin/colony
COPY example/app/ /app/
# The process descriptors in their own layer: an app image built FROM this one adds its own files here.
COPY config.example/python/ /etc/colony/config/
# colony as root refuses descriptors writable by group/others (a checkout made under umask 002 has 0664 files).
RUN chmod -R go-w /etc/colony/config
ENV PYTHONUNBUFFERED=1
# GET /metrics for Prometheus (docs/docker.md, "Metrics: Prometheus").
ENV COLONY_METRICS=0.0.0.0:9100
EXPOSE 8000 9100
# colony shuts down gracefully on SIGTERM (docker stop's default) and exits 0.
STOPSIGNAL SIGTERM
# Healthy while colony runs and every critical process (redis, web) is running, ready and healthy.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["/usr/local/bin/colony", "ctl", "check"]
# Ending in "--": without a CMD colony runs the descriptors; `docker run -it IMAGE bash` or
# `docker run IMAGE python manage.py migrate` runs that command as colony's main command.
ENTRYPOINT ["/usr/local/bin/colony", "run", "--"]
