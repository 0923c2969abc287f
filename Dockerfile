# pysecrets: gunicorn serving the Django app; static files collected at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    PORT=8000 \
    WORKERS=2

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt

COPY . .
RUN DJANGO_SECRET_KEY=build-only DATA_DIR=/tmp/build python manage.py collectstatic --noinput -v 0 \
    && rm -rf /tmp/build \
    && useradd --system --uid 10001 --home-dir /app pysecrets \
    && mkdir -p /data && chown pysecrets /data

USER pysecrets
VOLUME ["/data"]
EXPOSE 8000

# setup_storage is idempotent: tables, buckets and folders exist before the first request.
CMD ["sh", "-c", "python manage.py setup_storage && python manage.py migrate --noinput -v 0 && exec gunicorn --config secrets_site/gunicorn.conf.py --bind 0.0.0.0:${PORT} --workers ${WORKERS} secrets_site.wsgi"]
