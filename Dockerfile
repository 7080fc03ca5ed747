# ISP Portal production image. The same process commands as `make run` and the tests:
#   python -m isp_portal.serve web | worker | beat
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/src static/src
COPY scripts/copy-govuk-assets.mjs scripts/
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=isp_portal.settings.production \
    PORT=8000
RUN groupadd --system isp && useradd --system --gid isp --home /app isp
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.lock
COPY . .
COPY --from=assets /build/static/dist static/dist
# collectstatic needs settings but no real services; these placeholders are used for this one step only.
RUN SECRET_KEY=build-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz ALLOWED_HOSTS=build \
    DATABASE_URL=postgresql://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    EMAIL_HOST=localhost DEFAULT_FROM_EMAIL=build@localhost SITE_URL=https://build \
    python manage.py collectstatic --no-input -v 0 \
    && mkdir -p /app/var/private && chown -R isp:isp /app/var
USER isp
EXPOSE 8000
CMD ["python", "-m", "isp_portal.serve", "web"]
