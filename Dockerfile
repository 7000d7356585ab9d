# netbird-access-operator image: the nbaccess package and its runtime dependencies, installed
# from uv.lock (the lock file the test venv installs from too).
#
# No container engine runs in CI, so tests/image/test_dockerfile.py runs this file's build
# stage (its COPY, ENV and RUN steps, ARGs overridden to a scratch folder) and starts
# `nbaccess run --help` from the result: a step that stops working fails the test command.
# Keep the build stage to COPY/ENV/ARG/WORKDIR/RUN with single-line commands.

# Renovate/Dependabot bump this digest; resolve a new one with
#   docker buildx imagetools inspect python:3.11-slim
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.8
ARG VENV=/opt/nbaccess
ENV UV_PROJECT_ENVIRONMENT=${VENV} UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_NO_CACHE=1
WORKDIR /src
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
COPY pyproject.toml uv.lock README.md ./
COPY operator ./operator
# One step, not dependencies first: the version is read from the source (nbaccess.__version__),
# so uv cannot resolve the project without it. --frozen: exactly uv.lock, or fail.
RUN uv sync --frozen --no-editable

FROM ${PYTHON_IMAGE}
ARG VENV=/opt/nbaccess
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="netbird-access-operator" \
      org.opencontainers.image.description="Declare NetBird zero-trust access as Kubernetes custom resources" \
      org.opencontainers.image.source="https://github.com/nbaccess/netbird-access-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim"
# No installer in the running image: the base image's pip, setuptools and wheel go.
RUN rm -rf /usr/local/bin/pip* /usr/local/lib/python3.11/site-packages/pip* \
        /usr/local/lib/python3.11/site-packages/setuptools* \
        /usr/local/lib/python3.11/site-packages/_distutils_hack \
        /usr/local/lib/python3.11/site-packages/distutils-precedence.pth \
        /usr/local/lib/python3.11/site-packages/wheel* \
    && useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin nbaccess
COPY --from=build ${VENV} ${VENV}
ENV PATH=${VENV}/bin:${PATH} PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 65532:65532
# /metrics, /healthz (liveness) and /readyz (readiness) on NBACCESS_METRICS_PORT.
EXPOSE 8080
ENTRYPOINT ["nbaccess"]
CMD ["run", "--all-namespaces"]
