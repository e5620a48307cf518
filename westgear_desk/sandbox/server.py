"""Serve one ASGI app with uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0
PROBE_PATH = "/_sandbox/faults"


class SandboxServerError(RuntimeError):
    """The server did not come up (or go down) in time."""


class SandboxServer:
    """One app served by uvicorn (httptools, uvloop where available) in a daemon thread.

    `port=0` binds a free port; `url` is known after `start()`, which returns once the
    server answers HTTP. `stop()` returns within a few seconds even while requests are held
    open (a "timeout" fault): it asks uvicorn to exit and forces it after a short grace.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            app,
            http="httptools",
            loop="auto",  # uvloop where installed
            lifespan="auto",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,  # longer than httpx keep-alive expiry (5 s): no stale reuse
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start serving; return once an HTTP request is answered. Raises SandboxServerError."""
        if self._thread is not None:
            raise SandboxServerError(f"server at {self.url} already started")
        self._thread = threading.Thread(
            target=self._serve, name=f"sandbox-server-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_answering()

    def stop(self) -> None:
        """Shut the server down; held-open requests are cut after a short grace."""
        thread = self._thread
        if thread is None:
            self._socket.close()
            return
        release = getattr(self.app, "release_held", None)
        if callable(release):
            release()
        self._server.should_exit = True
        thread.join(timeout=1.5)
        if thread.is_alive():
            self._server.force_exit = True
            thread.join(timeout=STOP_TIMEOUT_S)
        self._socket.close()
        if thread.is_alive():
            raise SandboxServerError(f"server at {self.url} did not stop in time")
        self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread cannot raise to its caller
            self._error = exc

    def _wait_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._error is not None:
                raise SandboxServerError(f"server at {self.url} failed") from self._error
            if self._server.started and self._answers():
                return
            time.sleep(0.02)
        raise SandboxServerError(f"server at {self.url} did not answer within {START_TIMEOUT_S}s")

    def _answers(self) -> bool:
        """True when a plain HTTP request gets any HTTP answer (stdlib: no TLS setup cost)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
        try:
            connection.request("GET", PROBE_PATH)
            connection.getresponse().read()
        except OSError:
            return False
        finally:
            connection.close()
        return True
