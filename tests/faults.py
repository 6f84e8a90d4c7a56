"""
Real parts to break: a Redis of our own, an SMTP server, a TCP proxy that can
cut a connection, and the site served by gunicorn in another process.

Faults are injected against the real components, never mocks: a Redis process
is stopped, a mail server is not yet listening, the proxy in front of
PostgreSQL stops forwarding. The machine's shared servers are never touched.
"""

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    """A port nothing listens on now (and, once closed, a port that refuses connections)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, *, seconds=15, message="condition"):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RedisServer:
    """A redis-server process of the test's own, on its own port, keeping nothing on disk."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: accepts_connections(self.port), message="redis-server")
        return self

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives in `messages`."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class TcpProxy:
    """
    Forwards a local port to a server. `stop()` closes the listener and every
    open connection, as a crashed or restarting server does; `start()` listens
    again on the same port, as the server coming back.
    """

    def __init__(self, target_port, *, port=None, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.listener = None
        self.connections = set()
        self.lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self):
        listener, self.listener = self.listener, None
        if listener is not None:
            # Wakes the thread blocked in accept(); close() alone leaves the port listening.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    server.close()
                    return
                self.connections.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


SECRET_KEY = "fault-tests-only-" + "k8Qz3" * 10
_collected_static = {}


def collected_static(scratch):
    """Static files collected once per test run: DEBUG off serves them from the manifest."""
    if "root" not in _collected_static:
        root = Path(scratch) / "static"
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env={**os.environ, "DEBUG": "off", "SECRET_KEY": SECRET_KEY, "STATIC_ROOT": str(root)},
            check=True,
        )
        _collected_static["root"] = root
    return _collected_static["root"]


def production_environment(*, database_url, cache_url, static_root, **extra):
    """What an operator sets in production, pointed at this test's parts."""
    return {
        **os.environ,
        "DEBUG": "off",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "off",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        **{name: str(value) for name, value in extra.items()},
    }


def manage_json(environment, script):
    """
    Run a `manage.py shell` script against a served site's settings and return
    the JSON on the last line it printed: the test's view of the site's database.
    """
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class SiteServer:
    """
    The site served by gunicorn in its own processes, as in production, so a
    fault in one part meets the real request path (middleware, error pages).
    Its log lines are read as they come into `log` (a full pipe would stall it).
    """

    def __init__(self, environment, *, workers=2, threads=4):
        self.environment = environment
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.process = None
        self.log = []

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "newsroom.wsgi",
                *("--bind", f"127.0.0.1:{self.port}"),
                *("--workers", str(self.workers), "--threads", str(self.threads)),
                *("--timeout", "30", "--graceful-timeout", "2"),
            ],
            cwd=ROOT,
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        wait_until(lambda: accepts_connections(self.port), seconds=30, message="gunicorn")
        return self

    def _read_log(self):
        for line in iter(self.process.stderr.readline, b""):
            self.log.append(line.decode("utf-8", "replace").rstrip("\n"))

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=5)
            self.process = None

    @property
    def errors(self):
        return "\n".join(self.log)

    def request(self, method, path, *, data=None, headers=None, timeout=15):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        body = urlencode(data, doseq=True) if isinstance(data, dict) else data
        headers = {"Host": "127.0.0.1", **(headers or {})}
        if isinstance(data, dict):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def get(self, path, **options):
        return self.request("GET", path, **options)

    def post(self, path, data, **options):
        return self.request("POST", path, data=data, **options)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
