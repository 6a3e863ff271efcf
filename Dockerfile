# Communs: multi-stage image. Build wheels with the compilers, run on a slim base as non-root.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md ./
COPY server ./server
COPY federation ./federation
COPY schemas ./schemas
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    COMMUNS_DATABASE_URL=sqlite+aiosqlite:////data/communs.db \
    COMMUNS_MEDIA_DIR=/data/media
# DejaVu Sans draws the accented letters of the calls' preview pictures.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 communs \
    && mkdir -p /data/media && chown -R communs /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY alembic ./alembic
COPY alembic.ini ./
USER communs
VOLUME ["/data"]
EXPOSE 8000
# Ready: the database is reachable, writable and migrated (a 503 raises, so the check fails).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
CMD ["communs", "serve", "--host", "0.0.0.0", "--port", "8000"]
