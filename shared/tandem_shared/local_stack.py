"""Run the five services as separate processes: used by `make run` and the end-to-end test."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SERVICE_PORTS: dict[str, int] = {
    "intake": 8001,
    "matching": 8002,
    "sessions": 8003,
    "bursaries": 8004,
    "reporting": 8005,
}


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"tandem_{self.name}"],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own shutdown stops it, not the terminal's Ctrl-C
        )

    def kill(self) -> None:
        """SIGKILL: a crash, as the reliability tests need."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                return resp.status == 200 and json.load(resp).get("healthy") is True
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def wait_healthy(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see "
                    f"{self.log_path}:\n{tail(self.log_path)}"
                )
            if self.healthy():
                return
            time.sleep(0.3)
        raise TimeoutError(f"{self.name} not healthy after {timeout_s}s:\n{tail(self.log_path)}")


def tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def service_env(
    name: str, *, database_url: str, bootstrap: str, operator_key: str, port: int, **extra: str
) -> dict[str, str]:
    prefix = f"TANDEM_{name.upper()}_"
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP": bootstrap,
        "OPERATOR_KEY": operator_key,
        "HTTP_PORT": str(port),
        "HTTP_HOST": "127.0.0.1",
        **extra,
    }
    return {prefix + k: v for k, v in env.items()}


class LocalStack:
    def __init__(self, services: list[ServiceProcess]) -> None:
        self.services = {s.name: s for s in services}

    def start(self, timeout_s: float = 120.0) -> None:
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_healthy(timeout_s)

    def stop(self) -> None:
        for service in self.services.values():
            if service.process and service.process.poll() is None:
                service.process.terminate()
        for service in self.services.values():
            service.stop()

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]
