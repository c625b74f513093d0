# Image for the sitegen services of docker-compose.temporal.yml: the migration one-shot, the
# API, the workers and the preview host.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*
# A user of its own that owns /data: a new named volume mounted there is created from this
# directory, ownership included, so every service can write what it stores.
RUN groupadd --system --gid 10001 sitegen \
    && useradd --system --uid 10001 --gid sitegen --create-home --home-dir /home/sitegen sitegen \
    && install -d -o sitegen -g sitegen -m 0750 /data
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps -e .
ENV SITEGEN_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
USER sitegen:sitegen
