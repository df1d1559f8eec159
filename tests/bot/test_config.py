"""Configuration: validated, with errors naming the file and key; env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.config import load_config
from bot.errors import ConfigError


def test_default_config_loads(app_config) -> None:
    assert app_config.model.source == "embedded"
    assert app_config.engine.default_max_new_tokens == 150


def test_env_overrides_win(tmp_config_dir: Path) -> None:
    cfg = load_config(
        tmp_config_dir / "default.yaml", env={"POSTPULSE_PORT": "9999", "POSTPULSE_DTYPE": "float32"}
    )
    assert cfg.http.port == 9999
    assert cfg.model.dtype == "float32"


def test_bad_value_names_file_and_key(tmp_config_dir: Path) -> None:
    path = tmp_config_dir / "default.yaml"
    path.write_text(path.read_text().replace("max_batch_size: 64", "max_batch_size: -3"))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value)
    assert "engine.max_batch_size" in str(err.value)


def test_broken_yaml_reports_line(tmp_config_dir: Path) -> None:
    path = tmp_config_dir / "default.yaml"
    path.write_text("model:\n  source: [unclosed\n")
    with pytest.raises(ConfigError, match=r"YAML syntax error \(line \d+"):
        load_config(path, env={})


def test_catalog_error_names_entry_and_field(tmp_config_dir: Path) -> None:
    path = tmp_config_dir / "platforms.yaml"
    path.write_text(path.read_text().replace("char_limit: 280", "char_limit: many"))
    cfg = load_config(tmp_config_dir / "default.yaml", env={})
    with pytest.raises(ConfigError) as err:
        Catalog.from_config(cfg)
    assert "platforms.x.char_limit" in str(err.value)
    assert "platforms.yaml" in str(err.value)


def test_adding_a_tone_is_a_yaml_edit(tmp_config_dir: Path) -> None:
    path = tmp_config_dir / "tones.yaml"
    path.write_text(
        path.read_text()
        + "  nostalgic:\n    description: Warm memories.\n    rules: [Mention the good old days.]\n"
    )
    catalog = Catalog.from_config(load_config(tmp_config_dir / "default.yaml", env={}))
    assert catalog.tone("Nostalgic") == "nostalgic"
