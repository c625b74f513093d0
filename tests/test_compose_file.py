"""docker-compose.temporal.yml, checked without Docker: valid against the Compose
Specification's JSON schema (tests/fixtures/compose-spec.json), every sitegen command one the
package really has, no secret written in it, the API never migrating, and every piece of the
production shape there, with health checks where a service can be asked."""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import pytest
import typer
import yaml

from sitegen.cli.main import app as cli_app
from sitegen.stack.temporal import SEARCH_ATTRIBUTES
from sitegen.workflows.steps import CUSTOMER_ID, PROJECT_SLUG, PROJECT_STATUS, TEMPLATE

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.temporal.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA_FILE = Path(__file__).resolve().parent / "fixtures" / "compose-spec.json"

# What the production shape is made of; the long-running ones answer a health check.
SERVICES = {
    "temporal-db", "temporal-schema", "temporal", "temporal-search-attributes", "temporal-ui",
    "sitegen-db", "migrate", "api", "worker", "preview-host",
}  # fmt: skip
HEALTH_CHECKED = {"temporal-db", "temporal", "sitegen-db", "api", "preview-host"}
ONE_SHOTS = {"temporal-schema", "temporal-search-attributes", "migrate"}

SECRET_NAME = re.compile(r"PASSWORD|_PWD$|SECRET|TOKEN|_KEY$|_KEYS$|DATABASE_URL$")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+])[^}]*)?\}")
REQUIRED = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}$")


@cache
def validator() -> jsonschema_rs.Draft7Validator:
    return jsonschema_rs.Draft7Validator(yaml.safe_load(SCHEMA_FILE.read_text()))  # JSON is YAML


@cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def sitegen_services() -> dict[str, dict[str, Any]]:
    """The services that run this package's image (built from the Dockerfile)."""
    return {name: s for name, s in services().items() if "build" in s}


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {k: v for k, _, v in (item.partition("=") for item in env)}
    return {k: None if v is None else str(v) for k, v in env.items()}


def depends(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec["condition"] for name, spec in deps.items()}


def test_the_file_is_valid_compose() -> None:
    errors = [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in validator().iter_errors(compose())
    ]
    assert not errors, "\n".join(errors)


def test_the_schema_check_has_teeth() -> None:
    assert not validator().is_valid({"services": {"api": {"healthcheck": {"tests": ["CMD"]}}}})
    assert not validator().is_valid({"services": {"api": {"depends_on": {"db": {}}}}})


def test_every_piece_of_the_production_shape_is_there() -> None:
    found = services()
    assert set(found) >= SERVICES, f"missing: {sorted(SERVICES - set(found))}"
    for name in HEALTH_CHECKED:
        check = found[name].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    for name in ONE_SHOTS:
        assert found[name].get("restart") in (None, "no", "on-failure"), f"{name} must end"
    # Two or more workers, scaled out on one task queue.
    assert int(found["worker"]["deploy"]["replicas"]) >= 2
    # Temporal keeps its state in its own Postgres, set up before the server starts.
    assert environment(found["temporal"])["POSTGRES_SEEDS"] == "temporal-db"
    assert depends(found["temporal"])["temporal-schema"] == "service_completed_successfully"
    assert depends(found["temporal-schema"])["temporal-db"] == "service_healthy"


def _interpolated(text: str) -> str:
    """Compose's view of a string: `$$` is a literal dollar; each `${...}` a placeholder."""
    return INTERPOLATION.sub("VAR", text.replace("$$", ""))


def test_every_dollar_is_an_interpolation_or_escaped() -> None:
    # A lone `$name` in a shell script would be replaced by Compose (with nothing), not by sh.
    stray = [
        line.strip()
        for line in COMPOSE_FILE.read_text().splitlines()
        if not line.lstrip().startswith("#") and "$" in _interpolated(line)
    ]
    assert not stray, stray


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert isinstance(command, list), "sitegen services use the exec form, no shell"
    return [str(part) for part in command]


def _check_cli(args: list[str]) -> None:
    group = typer.main.get_command(cli_app)
    commands: dict[str, Any] = getattr(group, "commands", {})
    assert args and args[0] in commands, f"`sitegen {args[0] if args else ''}` is no command"


def _check_module_main(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"no module {module}"
    source = Path(spec.origin).read_text()
    assert 'if __name__ == "__main__":' in source, f"`python -m {module}` would do nothing"


def _check_asgi_factory(args: list[str]) -> None:
    target = next(arg for arg in args if ":" in arg and not arg.startswith("-"))
    module_name, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute, None)
    assert callable(factory), f"{target} is not a callable"
    assert "--factory" in args, f"{target} is a factory: uvicorn needs --factory"


def test_every_sitegen_command_exists() -> None:
    found = sitegen_services()
    assert set(found) >= {"migrate", "api", "worker", "preview-host"}
    for name, service in found.items():
        command = _command(service)
        program, args = command[0], command[1:]
        if program == "sitegen":
            _check_cli(args)
        elif program == "python" and args[:1] == ["-m"]:
            _check_module_main(args[1])
        elif program == "uvicorn":
            _check_asgi_factory(args)
        else:
            pytest.fail(f"{name}: no check knows how to run {command}")


def test_the_api_never_migrates_and_waits_for_the_migration() -> None:
    found = services()
    assert _command(found["migrate"]) == ["sitegen", "migrate"]
    migrate_env = environment(found["migrate"])
    # The one-shot gives sitegen_app the password the API will connect with.
    assert migrate_env.get("SITEGEN_DATABASE_URL") and migrate_env.get("SITEGEN_API_DATABASE_URL")
    api_command = " ".join(_command(found["api"]))
    assert "migrate" not in api_command and "alembic" not in api_command
    assert _command(found["api"])[0] == "uvicorn"
    for name in ("api", "worker"):
        assert depends(found[name])["migrate"] == "service_completed_successfully", name
    # The API's own connection is the row-level-security role, not the owner.
    api_url = urlsplit(_interpolated(environment(found["api"])["SITEGEN_API_DATABASE_URL"] or ""))
    assert api_url.username == "sitegen_app"
    assert depends(found["migrate"])["sitegen-db"] == "service_healthy"


def test_search_attributes_the_workflows_upsert_are_registered() -> None:
    upserted = {key.name for key in (PROJECT_STATUS, PROJECT_SLUG, CUSTOMER_ID, TEMPLATE)}
    assert upserted <= set(SEARCH_ATTRIBUTES)
    one_shot = services()["temporal-search-attributes"]
    script = " ".join(str(part) for part in one_shot["command"])
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert f"{name}={kind}" in script, f"{name} ({kind}) is never registered"
    assert "search-attribute create" in script
    assert depends(one_shot)["temporal"] == "service_healthy"
    for name in ("api", "worker"):
        assert depends(services()[name])["temporal-search-attributes"] == (
            "service_completed_successfully"
        )


def test_the_ui_decodes_through_the_api_codec() -> None:
    ui = environment(services()["temporal-ui"])
    endpoint = ui["TEMPORAL_CODEC_ENDPOINT"] or ""
    assert endpoint.endswith("/api/v1/codec")
    # The codec answers only to an operator: the UI's browser sends the console's sign-in
    # cookie (its own identity provider's token is not one sitegen takes).
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "false"
    assert "SITEGEN_CODEC_CORS_ORIGINS" in environment(services()["api"])


def _secret_is_interpolated(name: str, value: str) -> bool:
    if value.startswith(("postgresql://", "postgres://")):
        netloc = value.split("//", 1)[1].split("/", 1)[0]
        userinfo = netloc.rpartition("@")[0]
        password = userinfo.partition(":")[2]
        return bool(REQUIRED.match(password))
    return bool(REQUIRED.match(value))


def test_no_secret_is_written_in_the_file() -> None:
    leaks = []
    for service_name, service in services().items():
        for name, value in environment(service).items():
            if value is None or value in ("true", "false") or not SECRET_NAME.search(name):
                continue  # passed through from the environment, a switch, or not a secret
            if not _secret_is_interpolated(name, value):
                leaks.append(f"{service_name}.{name}")
    assert not leaks, f"written in the file or defaulted, not required: {leaks}"
    # Nor a secret variable given a default anywhere (`${X_PASSWORD:-hunter2}`).
    defaulted = [
        m.group(0)
        for m in INTERPOLATION.finditer(COMPOSE_FILE.read_text())
        if SECRET_NAME.search(m.group(1)) and (m.group(2) or "").lstrip(":")[:1] in ("-", "+")
    ]
    assert not defaulted, defaulted


def test_the_secret_check_catches_a_written_password() -> None:
    assert not _secret_is_interpolated("P", "postgresql://u:hunter2@db/x")
    assert not _secret_is_interpolated("P", "postgresql://u:${P:-hunter2}@db/x")
    assert not _secret_is_interpolated("K", "c2VjcmV0")
    assert _secret_is_interpolated("P", "postgresql://u:${P:?set P}@db/x")


def test_images_run_as_a_user_that_owns_its_volume() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "the image runs as root"
    user = users[-1].partition(":")[0]
    assert user not in ("root", "0", "nobody")
    # The user owns /data, so a fresh named volume mounted there is created writable for it.
    assert any("/data" in line and f"-o {user}" in line for line in lines)
    for name, service in sitegen_services().items():
        assert service.get("user") in (None, user), f"{name} overrides the image's user"
        mounts = [str(volume) for volume in service.get("volumes", [])]
        data = [m for m in mounts if m.split(":")[1:2] == ["/data"]]
        if name != "migrate":
            assert data, f"{name} does not mount the shared data volume"
        writable = [m for m in data if not m.endswith(":ro")]
        if name in ("api", "worker"):
            assert writable, f"{name} cannot write the shared data volume"
