"""docker-compose.yml is the users' production path; Docker is not here, so check its wiring."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_has_the_five_services_and_a_database_volume():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "pgdata" in COMPOSE["volumes"]


def test_servers_have_health_checks_and_apps_wait_for_them():
    for name in ("postgres", "redis", "web", "worker"):
        assert "test" in SERVICES[name]["healthcheck"], name
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_apps_are_wired_to_postgres_and_redis_by_environment():
    postgres = SERVICES["postgres"]["environment"]
    for name in ("web", "worker", "beat", "migrate"):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"] == (
            f"postgres://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
            f"@postgres:5432/{postgres['POSTGRES_DB']}"
        )
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_web_runs_gunicorn_and_worker_and_beat_run_celery():
    assert SERVICES["web"]["command"][0] == "gunicorn"
    assert SERVICES["web"]["command"][1] == "adoption.wsgi:application"
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "adoption", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "adoption", "beat"]


def test_dockerfile_builds_the_image_compose_uses():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile
    assert SERVICES["web"]["build"] == "."


def test_every_setting_in_compose_is_documented_in_env_example():
    documented = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line
    }
    for name in SERVICES["web"]["environment"]:
        assert name in documented, name
