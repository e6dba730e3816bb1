"""Static contract checks for the compose stack (docker-compose.yml and deploy/).

No Docker needed: the files are parsed and cross-checked against each other, so a
renamed service, a moved file or a port typo fails here rather than at
`docker compose up`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"

# The team's fixed facts: service name -> HTTP port.
TANDEM_SERVICES = {
    "intake": 8001,
    "matching": 8002,
    "sessions": 8003,
    "bursaries": 8004,
    "reporting": 8005,
}
DATABASES = {f"tandem_{name}" for name in TANDEM_SERVICES}
REQUIRED_SETTINGS = ("DATABASE_URL", "KAFKA_BOOTSTRAP", "HTTP_HOST", "HTTP_PORT", "OPERATOR_KEY")
INFRA = ("kafka", "postgres", "prometheus", "grafana")

_VAR = re.compile(r"\$\{(?P<name>\w+)(?::?[-?](?P<default>[^}]*))?\}")


# ------------------------------------------------------------------ helpers ---


def _interpolate(value: Any) -> str:
    """Resolve compose's ${VAR:-default} to its default (what a bare checkout gets)."""
    return _VAR.sub(lambda m: m.group("default") or "", str(value))


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _compose() -> dict[str, Any]:
    return _yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...]
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): _interpolate(v) for k, v in env.items()}


def _port_mappings(service: dict[str, Any]) -> list[tuple[str | None, int]]:
    """(published host port or None, container port) for every `ports` entry."""
    mappings: list[tuple[str | None, int]] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):  # long syntax
            published = entry.get("published")
            mappings.append(
                (str(published) if published is not None else None, int(entry["target"]))
            )
            continue
        spec = _interpolate(entry).split("/", 1)[0]  # drop /tcp, /udp
        parts = spec.rsplit(":", 2)
        if len(parts) == 1:
            mappings.append((None, int(parts[0])))
        else:  # HOST:CONTAINER or IP:HOST:CONTAINER
            mappings.append((parts[-2], int(parts[-1])))
    return mappings


def _container_ports(service: dict[str, Any]) -> set[int]:
    ports = {container for _, container in _port_mappings(service)}
    ports |= {int(str(p).split("/", 1)[0]) for p in service.get("expose") or []}
    return ports


def _bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> host path, for bind mounts of files in this repo."""
    mounts: dict[str, Path] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts[volume["target"]] = (REPO / volume["source"]).resolve()
            continue
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (REPO / source).resolve()
    return mounts


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _healthcheck_command(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")


def _scrape_targets() -> list[tuple[str, str, dict[str, str]]]:
    """(job, "host:port", labels) for every static target in prometheus.yml."""
    config = _yaml(REPO / "deploy/prometheus/prometheus.yml")
    found = []
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                found.append((job["job_name"], target, static.get("labels", {})))
    return found


# -------------------------------------------------------------- the stack ---


def test_compose_parses_and_declares_the_whole_stack(compose: dict[str, Any]) -> None:
    assert isinstance(compose, dict)
    assert set(TANDEM_SERVICES) | set(INFRA) <= set(compose["services"])
    # Named volumes used by services are declared at the top level.
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source!r} is not declared"


def test_every_build_has_existing_context_and_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    built = {name: svc["build"] for name, svc in services.items() if "build" in svc}
    assert set(TANDEM_SERVICES) <= set(built), "every Tandem service is built from this repo"
    for name, build in built.items():
        if isinstance(build, str):
            build = {"context": build}
        context = (REPO / build.get("context", ".")).resolve()
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: dockerfile {dockerfile} does not exist"


def test_bind_mounted_files_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, host in _bind_mounts(service).items():
            assert host.exists(), f"{name}: {host} (mounted at {target}) does not exist"


def test_no_two_services_publish_the_same_host_port(
    services: dict[str, dict[str, Any]],
) -> None:
    owners: dict[str, str] = {}
    for name, service in services.items():
        for published, _ in _port_mappings(service):
            if published is None:
                continue
            assert published not in owners, (
                f"host port {published} published by both {owners[published]} and {name}"
            )
            owners[published] = name


@pytest.mark.parametrize(("name", "port"), TANDEM_SERVICES.items())
def test_tandem_service_publishes_its_fixed_port(
    services: dict[str, dict[str, Any]], name: str, port: int
) -> None:
    service = services[name]
    assert (str(port), port) in _port_mappings(service), f'{name}: expected "{port}:{port}"'
    env = _environment(service)
    assert env[f"TANDEM_{name.upper()}_HTTP_PORT"] == str(port)


# ------------------------------------------------------------- Prometheus ---


def test_every_scrape_target_is_a_compose_service_on_its_container_port(
    services: dict[str, dict[str, Any]],
) -> None:
    targets = _scrape_targets()
    assert targets
    for job, target, _ in targets:
        host, _, port = target.rpartition(":")
        assert host in services, f"job {job}: target host {host!r} is not a compose service"
        listening = _container_ports(services[host])
        assert int(port) in listening, (
            f"job {job}: {target} but {host} listens on {sorted(listening)}"
        )


def test_every_tandem_service_is_scraped_once_with_its_service_label() -> None:
    scraped = [(target, labels) for _, target, labels in _scrape_targets() if "service" in labels]
    assert sorted(scraped, key=lambda t: t[0]) == sorted(
        ((f"{name}:{port}", {"service": name}) for name, port in TANDEM_SERVICES.items()),
        key=lambda t: t[0],
    )


def test_prometheus_service_mounts_config_and_waits_for_the_services(
    services: dict[str, dict[str, Any]],
) -> None:
    prometheus = services["prometheus"]
    mounts = _bind_mounts(prometheus)
    assert mounts.get("/etc/prometheus/prometheus.yml") == (
        REPO / "deploy/prometheus/prometheus.yml"
    )
    assert ("9090", 9090) in _port_mappings(prometheus)
    assert set(TANDEM_SERVICES) <= set(_depends_on(prometheus))


# ---------------------------------------------------------- Tandem services ---


@pytest.mark.parametrize(("name", "port"), TANDEM_SERVICES.items())
def test_tandem_service_health_dependencies_and_restart(
    services: dict[str, dict[str, Any]], name: str, port: int
) -> None:
    service = services[name]
    check = _healthcheck_command(service)
    assert "/healthz" in check and str(port) in check, f"{name}: healthcheck {check!r}"
    assert "curl" not in check, "python:3.11-slim has no curl; use python urllib"
    deps = _depends_on(service)
    for infra in ("kafka", "postgres"):
        assert deps.get(infra) == "service_healthy", f"{name} must wait for a healthy {infra}"
        # service_healthy can only ever hold if the dependency has a healthcheck.
        assert _healthcheck_command(services[infra]), f"{infra} needs a healthcheck"
    assert service.get("restart") == "unless-stopped"


def test_tandem_env_prefixes_match_their_service(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for key in _environment(service):
            if key.startswith("TANDEM_"):
                assert key.startswith(f"TANDEM_{name.upper()}_"), (
                    f"{name} sets {key}: another service's setting"
                )


@pytest.mark.parametrize("name", TANDEM_SERVICES)
def test_tandem_service_settings_point_at_the_stack(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = _environment(services[name])
    prefix = f"TANDEM_{name.upper()}_"
    for setting in REQUIRED_SETTINGS:
        assert env.get(prefix + setting), f"{name}: {prefix}{setting} is not set"

    url = env[prefix + "DATABASE_URL"]
    match = re.fullmatch(r"postgresql\+psycopg://[^@/]+@(?P<host>[^:/]+):5432/(?P<db>\w+)", url)
    assert match, f"{name}: unexpected database URL {url!r}"
    assert match["host"] == "postgres" and match["host"] in services
    assert match["db"] == f"tandem_{name}", "each service owns its own database"

    assert env[prefix + "KAFKA_BOOTSTRAP"] == "kafka:9092"
    # The settings default (127.0.0.1) would hide the service from Prometheus and the host.
    assert env[prefix + "HTTP_HOST"] == "0.0.0.0"


def test_intake_encryption_key_is_configurable_and_a_valid_fernet_key(
    services: dict[str, dict[str, Any]],
) -> None:
    raw = services["intake"]["environment"]["TANDEM_INTAKE_ENCRYPTION_KEY"]
    assert raw.startswith("${TANDEM_INTAKE_ENCRYPTION_KEY"), "must be overridable from the env"
    fernet = pytest.importorskip("cryptography.fernet")
    fernet.Fernet(_interpolate(raw).encode())  # raises on a malformed dev default


@pytest.mark.parametrize(("name", "port"), TANDEM_SERVICES.items())
def test_dockerfile_builds_runs_and_checks_its_own_service(name: str, port: int) -> None:
    text = (REPO / "services" / name / "Dockerfile").read_text("utf-8")
    assert "python:3.11-slim" in text
    assert f"uv sync --frozen --no-dev --package tandem-{name}" in text
    assert "--mount=type=cache" in text
    assert re.search(rf"^EXPOSE {port}$", text, re.M)
    assert f"TANDEM_{name.upper()}_HTTP_HOST=0.0.0.0" in text, "listen beyond loopback"
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M), "runs as a non-root user"
    assert f'CMD ["python", "-m", "tandem_{name}"]' in text
    # Every COPY from the build context (repo root) names something that exists.
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        *sources, _dest = line.split()
        for source in sources:
            assert (REPO / source).exists(), f"{name}: COPY {source} (not in the repo)"


def test_dockerignore_keeps_what_the_images_need() -> None:
    ignored = {
        line.strip().strip("/")
        for line in (REPO / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in ("pyproject.toml", "uv.lock", "shared", "services", "services/*"):
        assert needed not in ignored
    assert ".venv" in ignored or "**/.venv" in ignored


# -------------------------------------------------------------------- infra ---


def test_kafka_is_single_node_kraft_without_topic_auto_creation(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka = services["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.0"
    env = _environment(kafka)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "kafka-broker-api-versions.sh" in _healthcheck_command(kafka)
    assert kafka.get("volumes"), "broker data survives a restart"


def test_postgres_init_script_creates_every_service_database(
    services: dict[str, dict[str, Any]],
) -> None:
    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:16")
    assert "pg_isready" in _healthcheck_command(postgres)
    init_dir = _bind_mounts(postgres)["/docker-entrypoint-initdb.d"]
    assert init_dir.is_dir()
    scripts = [p for p in sorted(init_dir.iterdir()) if p.suffix in {".sql", ".sh"}]
    assert scripts, f"no init scripts in {init_dir}"
    created = {
        db.lower()
        for script in scripts
        for db in re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", script.read_text("utf-8"), re.I)
    }
    assert created >= DATABASES, f"missing: {sorted(DATABASES - created)}"


def test_grafana_provisioning_points_at_prometheus_and_the_dashboards(
    services: dict[str, dict[str, Any]],
) -> None:
    grafana = services["grafana"]
    mounts = _bind_mounts(grafana)
    provisioning = REPO / "deploy/grafana/provisioning"
    assert mounts.get("/etc/grafana/provisioning") == provisioning

    datasources = _yaml(provisioning / "datasources/prometheus.yml")["datasources"]
    (prometheus,) = [ds for ds in datasources if ds["type"] == "prometheus"]
    assert prometheus["uid"] == "prometheus"
    assert prometheus["url"] == "http://prometheus:9090"

    providers = _yaml(provisioning / "dashboards/dashboards.yml")["providers"]
    dashboards_path = providers[0]["options"]["path"]
    assert dashboards_path == "/var/lib/grafana/dashboards"
    host_dir = mounts.get(dashboards_path)
    assert host_dir == REPO / "deploy/grafana/dashboards", "dashboards folder is mounted there"
    assert sorted(p.name for p in host_dir.glob("*.json")) == [
        "tandem-impact.json",
        "tandem-operations.json",
    ]
    assert ("3000", 3000) in _port_mappings(grafana)
