# Production image: gunicorn + whitenoise for the web, the same image for worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scanner ./scanner
COPY adoption ./adoption
RUN pip install --no-cache-dir .
COPY manage.py Procfile.dev ./
COPY templates ./templates
COPY static ./static
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home --uid 1000 app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "adoption.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
