"""Issue 17, item 6: a config whose settings cannot work together stops start-up with the keys named,
instead of starting and answering every draft with a 422 about an internal field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import load_config
from engine.errors import ConfigError


def write(config_dir: Path, **sections: dict[str, object]) -> Path:
    path = config_dir / "default.yaml"
    data = yaml.safe_load(path.read_text())
    for section, values in sections.items():
        data[section] = {**data.get(section, {}), **values}
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("backend", ["transformers", "vllm"])
def test_a_batch_too_small_for_best_of_n_is_refused(tmp_config_dir: Path, backend: str) -> None:
    path = write(tmp_config_dir, engine={"max_batch_size": 1, "backend": backend})
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    for key in ("engine.max_batch_size", "engine.max_variants", "quality.best_of.transformers"):
        assert key in message


def test_a_default_length_above_the_cap_is_refused(tmp_config_dir: Path) -> None:
    path = write(tmp_config_dir, engine={"default_max_new_tokens": 500, "max_new_tokens_cap": 100})
    with pytest.raises(ConfigError, match=r"engine\.default_max_new_tokens.*engine\.max_new_tokens_cap"):
        load_config(path, env={})


def test_the_shipped_config_and_a_big_enough_batch_still_load(tmp_config_dir: Path) -> None:
    load_config(tmp_config_dir / "default.yaml", env={})
    quality = {"best_of": {"transformers": 2}, "max_candidates": 8}
    load_config(
        write(tmp_config_dir, engine={"max_batch_size": 8, "max_variants": 4}, quality=quality), env={}
    )


def test_http_limits_come_from_the_environment_too(tmp_config_dir: Path) -> None:
    env = {
        "POSTPULSE_ALLOWED_HOSTS": "postpulse.example.com, *.example.org",
        "POSTPULSE_TRUSTED_PROXIES": "10.0.0.0/8",
    }
    http = load_config(tmp_config_dir / "default.yaml", env=env).http
    assert http.allowed_hosts == ["postpulse.example.com", "*.example.org"]
    assert http.trusted_proxies == ["10.0.0.0/8"]
    with pytest.raises(ConfigError, match=r"http\.trusted_proxies"):
        load_config(tmp_config_dir / "default.yaml", env={"POSTPULSE_TRUSTED_PROXIES": "not-an-address"})
