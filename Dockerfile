# The gateway image: API (`gateway serve`), Celery worker (`gateway worker --no-beat`) and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxml2 libxslt1.1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY bank_adapters ./bank_adapters
COPY signing ./signing
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/gateway gateway \
 && mkdir -p /var/lib/gateway && chown gateway /var/lib/gateway
USER gateway
ENV GATEWAY_DATA_DIR=/var/lib/gateway GATEWAY_HOST=0.0.0.0
EXPOSE 8000
CMD ["gateway", "serve"]
