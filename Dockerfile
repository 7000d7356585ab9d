# netbird-access-operator image: the nbaccess package and its runtime dependencies only.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin nbaccess
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 65532:65532
# Metrics and liveness (/metrics, /healthz) on NBACCESS_METRICS_PORT.
EXPOSE 8080
ENTRYPOINT ["nbaccess"]
CMD ["run", "--all-namespaces"]
