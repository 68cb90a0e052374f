"""Real Celery processes for tests, started as production starts them (``celery -A adoption
worker``, prefork pool, no ``-Q``; ``celery -A adoption beat``), wired to the test database and
the test broker. Every wait is bounded."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from django.db import connection

from adoption.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.1
STOP_SECONDS = 20


def test_database_url() -> str:
    """The URL of the database pytest-django created, for a child process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "adoption.settings_test",
            "DATABASE_URL": test_database_url(),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def wait_for(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> bool:
    """Poll ``condition`` until true or ``timeout``: real processes take real time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_SECONDS)
    return condition()


@dataclass(frozen=True)
class Worker:
    process: subprocess.Popen[bytes]
    name: str  # the Celery node name, as the worker records it on chunks and heartbeats

    def pool_children(self) -> list[int]:
        """The pids of the prefork pool's processes (children of the worker's main process)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the main process, as a service manager sends it: a worker then stops its
    pool itself (a SIGTERM to the whole group can leave billiard waiting on a lock that a
    killed pool process held); whatever is left after ``STOP_SECONDS`` is killed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)
    try:  # no pool process outlives the test
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def celery_worker(
    *,
    concurrency: int = 1,
    pool: str = "prefork",
    queues: str = "",
    **extra_env: str,
) -> Iterator[Worker]:
    """Start ``celery -A adoption worker`` in its own process group and wait until it has
    written its heartbeat (it then consumes); stop it on exit. ``queues``: a ``-Q`` value;
    empty, as in production, consumes every declared queue."""
    name = f"test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    command = [
        *(sys.executable, "-m", "celery", "-A", "adoption", "worker"),
        *(f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO"),
        *(("--queues", queues) if queues else ()),
        *("--without-mingle", "--without-gossip", "-n", name),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=worker_env(**extra_env), start_new_session=True
    )
    try:
        ready = wait_for(
            lambda: (
                process.poll() is not None
                or WorkerHeartbeat.objects.filter(hostname=name).exists()
            )
        )
        if not ready or process.poll() is not None:
            raise RuntimeError(f"worker {name} did not start (exit {process.poll()})")
        yield Worker(process, name)
    finally:
        _stop(process)


@contextmanager
def celery_beat(tmp_path: Path, **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``celery -A adoption beat`` (the database scheduler, as in production)."""
    command = [
        *(sys.executable, "-m", "celery", "-A", "adoption", "beat", "--loglevel=INFO"),
        *("--pidfile", str(tmp_path / "beat.pid")),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=worker_env(**extra_env), start_new_session=True
    )
    try:
        yield process
    finally:
        _stop(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server on a random loopback port, so a test can restart its broker."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)
        if not wait_for(lambda: _pings(client), timeout=20):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=STOP_SECONDS)
        self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False


def send_task(name: str, args: list[object], **env: str) -> None:
    """Publish a task from a child process (its own broker settings), like beat or a web node."""
    subprocess.run(
        [
            *(sys.executable, "-m", "celery", "-A", "adoption", "call", name),
            f"--args={json.dumps(args)}",
        ],
        cwd=ROOT,
        env=worker_env(**env),
        check=True,
        capture_output=True,
        timeout=60,
    )
