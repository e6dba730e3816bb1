"""`make run`: the embedded broker and all five services on SQLite, with a seeded demo.

Data lives in ./var (SQLite files survive restarts; the embedded broker keeps topics in
memory only, and the services provision them again on start). Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tandem_shared.embedded_broker import EmbeddedBroker
from tandem_shared.local_stack import SERVICE_PORTS, LocalStack, ServiceProcess, service_env

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
KEYS_FILE = VAR / "demo-keys.json"
BROKER_PORT = 19092
OPERATOR_KEY = "dev-operator-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-seed", action="store_true", help="skip the demo data")
    args = parser.parse_args()
    (VAR / "data").mkdir(parents=True, exist_ok=True)
    (VAR / "logs").mkdir(parents=True, exist_ok=True)

    broker = EmbeddedBroker(port=BROKER_PORT, log_path=VAR / "logs" / "broker.log")
    stack = LocalStack(
        [
            ServiceProcess(
                name,
                port,
                service_env(
                    name,
                    database_url=f"sqlite+aiosqlite:///{VAR / 'data' / name}.db",
                    bootstrap=f"127.0.0.1:{BROKER_PORT}",
                    operator_key=OPERATOR_KEY,
                    port=port,
                ),
                VAR / "logs" / f"{name}.log",
            )
            for name, port in SERVICE_PORTS.items()
        ]
    )

    stopping = False

    def shutdown(*_args) -> None:
        nonlocal stopping
        if stopping:  # Ctrl-C reaches us once from the terminal and once via make/uv
            return
        stopping = True
        print("\nstopping services and broker…", flush=True)
        stack.stop()
        broker.stop()
        print("stopped.", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        print(f"starting embedded Kafka-protocol broker (Tansu) on 127.0.0.1:{BROKER_PORT}…")
        broker.start()
        print("starting intake, matching, sessions, bursaries, reporting…", flush=True)
        stack.start()
        if not args.no_seed and not KEYS_FILE.exists():
            from seed_demo import seed  # deploy/local/seed_demo.py

            print("first start: seeding the demo (partners, programmes, one full cohort)…")
            seed(stack, OPERATOR_KEY, KEYS_FILE)
        print_banner()
        while True:
            for service in stack.services.values():
                if service.process and service.process.poll() is not None:
                    print(
                        f"{service.name} exited ({service.process.returncode}); "
                        f"see {service.log_path}"
                    )
                    shutdown()
            time.sleep(1)
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        stack.stop()
        broker.stop()
        return 1


def print_banner() -> None:
    print("\nTandem is running.\n")
    for name, port in SERVICE_PORTS.items():
        print(f"  {name:<10} http://127.0.0.1:{port}/docs   (/healthz, /metrics, /asyncapi)")
    print(f"\n  broker     127.0.0.1:{BROKER_PORT}")
    print(f"  operator key: {OPERATOR_KEY}")
    print(f"  demo API keys: {KEYS_FILE}")
    print(f"  logs: {VAR / 'logs'}   data: {VAR / 'data'}")
    print("\nCtrl-C stops everything.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
