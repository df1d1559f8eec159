"""bot.brands: the `brands:` config section and origin -> brand routing."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.http.auth import caller_id
from bot.brands import BrandRouter, api_key_id, brand_config
from bot.config import BrandConfig, load_config
from bot.errors import ConfigError
from bot.records import Origin

BRANDS = {
    "acme": BrandConfig(adapter="lora/acme", slack_workspaces=["TACME"], api_keys_env="ACME_KEYS"),
    "globex": BrandConfig(adapter="lora/globex", discord_guilds=["81234"], served_name="globex-v2"),
}


def test_each_front_door_routes_by_its_own_workspace_id() -> None:
    router = BrandRouter(BRANDS, env={"ACME_KEYS": "k1, k2"})
    assert router.brand_for(Origin("slack", "U1", "TACME")) == "acme"
    assert router.brand_for(Origin("discord", "42", "81234")) == "globex"
    assert router.brand_for(Origin("http", api_key_id("k2"), api_key_id("k2"))) == "acme"
    # the same id on another front door, an unknown workspace, no workspace: the default engine
    assert router.brand_for(Origin("discord", "42", "TACME")) is None
    assert router.brand_for(Origin("slack", "U1", "TOTHER")) is None
    assert router.brand_for(Origin("console", "me")) is None
    assert router.brand_for(Origin("http", api_key_id("k3"), api_key_id("k3"))) is None


def test_key_ids_match_what_the_http_front_door_puts_in_the_origin() -> None:
    assert api_key_id("s3cret-key") == caller_id("s3cret-key")


def test_a_workspace_claimed_twice_is_a_config_error() -> None:
    twice = {**BRANDS, "initech": BrandConfig(slack_workspaces=["TACME"])}
    with pytest.raises(ConfigError, match="slack workspace TACME is mapped to both 'acme' and 'initech'"):
        BrandRouter(twice, env={})


def test_a_key_claimed_twice_names_no_key() -> None:
    twice = {**BRANDS, "initech": BrandConfig(api_keys_env="INITECH_KEYS")}
    with pytest.raises(ConfigError) as caught:
        BrandRouter(twice, env={"ACME_KEYS": "shared-secret", "INITECH_KEYS": "shared-secret"})
    assert "shared-secret" not in str(caught.value) and "an API key" in str(caught.value)


def test_brand_config_swaps_adapter_and_served_name(tmp_config_dir: Path) -> None:
    config = load_config(tmp_config_dir / "default.yaml", env={}).model_copy(update={"brands": BRANDS})
    acme = brand_config(config, "acme")
    assert acme.model.adapter == "lora/acme" and acme.engine.openai.model == "acme"
    globex = brand_config(config, "globex")
    assert globex.engine.openai.model == "globex-v2"
    assert config.model.adapter != "lora/acme"  # the original is untouched


def test_the_yaml_section_is_validated_with_the_key_named(tmp_config_dir: Path) -> None:
    path = tmp_config_dir / "default.yaml"
    path.write_text(path.read_text() + "\nbrands:\n  Acme Corp:\n    adapter: x\n")
    with pytest.raises(ConfigError, match=r"brands\.Acme Corp"):
        load_config(path, env={})
    path.write_text(path.read_text().replace("Acme Corp:\n    adapter: x", "acme:\n    adaptor: x"))
    with pytest.raises(ConfigError, match=r"brands\.acme\.adaptor: Extra inputs are not permitted"):
        load_config(path, env={})
