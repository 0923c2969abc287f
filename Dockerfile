# pysecrets production image.
#   docker build -t pysecrets .
#   docker run -p 8000:8000 -v pysecrets-data:/data \
#     -e DJANGO_SECRET_KEY=... -e ALLOWED_HOSTS=secrets.example.com -e HTTPS=True -e NUM_PROXIES=1 pysecrets

# --- build: compile and install the pinned runtime into a virtualenv --------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# msgfmt compiles the message catalogues; only the build stage needs it.
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv
COPY requirements/base.txt /tmp/base.txt
RUN /venv/bin/pip install -r /tmp/base.txt

WORKDIR /app
COPY manage.py ./
COPY secrets_site secrets_site
COPY sharing sharing
COPY frontend frontend
COPY ops ops
COPY scripts/start-image.sh scripts/start-image.sh
COPY locale locale
RUN DJANGO_SECRET_KEY=build-only DATA_DIR=/tmp/build-data /venv/bin/python manage.py compilemessages -v 0
# Static files are collected (hashed, compressed) at build time, never at start.
RUN DJANGO_SECRET_KEY=build-only DATA_DIR=/tmp/build-data /venv/bin/python manage.py collectstatic --noinput -v 0

# --- run: the app and its virtualenv, as an unprivileged user ---------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/venv/bin:$PATH \
    DATA_DIR=/data \
    PORT=8000 \
    WORKERS=2 \
    THREADS=32 \
    SETUP_STORAGE=False
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin pysecrets \
    && mkdir /data && chown pysecrets /data && chmod 700 /data
COPY --from=build /venv /venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER 10001
VOLUME ["/data"]
EXPOSE 8000

# /healthz answers 200 only while the stores answer; it asks under a served host name.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0]; u.urlopen(u.Request(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', headers={'Host': host}), timeout=4)"]

# Serving needs no provisioning rights: the stores are set up once, as a one-off
# task (README: Deploy on AWS), or at start with SETUP_STORAGE=True.
CMD ["sh", "scripts/start-image.sh"]
