"""The commands as Discord sees them (synced payloads, choices, autocomplete), help and channel
defaults, development-guild sync and shards (no model time: the engine's queue is always full)."""

from __future__ import annotations

from pathlib import Path

from adapters import cli
from adapters.discord.client import PostPulseShardedClient
from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import Harness, running, tuned
from tests.fakes.discord_api import AUTOCOMPLETE, CALLBACK_DEFERRED, FLAG_EPHEMERAL, FakeDiscord, Guild, Json
from tests.fakes.discord_interactions import ChannelRef

STRING, INTEGER, BOOLEAN, CHANNEL = 3, 4, 5, 7


async def reply_text(h: Harness, interaction: Json, contains: str) -> str:
    texts = await h.fake.wait_for(
        lambda: [m["content"] for m in h.fake.messages_for(interaction) if contains in m["content"]]
    )
    return str(texts[-1])


async def test_synced_commands_carry_typed_options_and_catalogue_choices(
    app_config: AppConfig, full_engine: AsyncEngine, catalog: Catalog, tmp_path: Path
) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        commands = {c["name"]: c for c in h.fake.commands[None]}
        assert set(commands) == {"postpulse", "postpulse-help", "postpulse-defaults"}
        options = {o["name"]: o for o in commands["postpulse"]["options"]}
        assert next(iter(options)) == "prompt" and options["prompt"]["required"] is True
        assert options["prompt"]["type"] == STRING and options["prompt"]["max_length"] == 4000
        assert [c["value"] for c in options["tone"]["choices"]] == sorted(catalog.tones)
        assert [c["value"] for c in options["platform"]["choices"]] == sorted(catalog.platforms)
        assert {c["name"] for c in options["platform"]["choices"]} >= {"LinkedIn", "Instagram"}
        assert options["industry"]["autocomplete"] is True and "choices" not in options["industry"]
        assert options["variants"]["type"] == INTEGER
        assert (options["variants"]["min_value"], options["variants"]["max_value"]) == (1, 5)
        assert [c["value"] for c in options["length"]["choices"]] == ["short", "medium", "long"]
        assert options["hashtags"]["type"] == BOOLEAN
        assert [c["value"] for c in options["format"]["choices"]] == ["post", "thread", "carousel"]
        assert (options["posts"]["type"], options["posts"]["min_value"], options["posts"]["max_value"]) == (
            INTEGER,
            2,
            10,
        )
        assert {"audience", "voice"} <= set(options) and not any(
            o.get("required") for name, o in options.items() if name != "prompt"
        )
        assert all(o["description"] for o in options.values())
        assert commands["postpulse"]["contexts"] == [0, 1, 2] and commands["postpulse"][
            "integration_types"
        ] == [0]
        defaults = {o["name"]: o for o in commands["postpulse-defaults"]["options"]}
        assert set(defaults) == ({"action", *options} - {"prompt"}) | {"review"}
        assert defaults["review"]["type"] == CHANNEL and set(defaults["review"]["channel_types"]) == {
            0,
            5,
        }  # text, announcement


async def test_industry_autocomplete(app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        for typed, first in (("tech", "technology"), ("", None), ("helth", "health_wellness")):
            payload = h.fake.command("postpulse", {"prompt": "x", "industry": typed}, focused="industry")
            assert payload["type"] == AUTOCOMPLETE
            await h.send(payload)
            [callback] = await h.fake.wait_for(lambda p=payload: h.fake.callbacks_for(p))
            assert callback.type == 8
            choices = callback.data["choices"]
            assert 0 < len(choices) <= 25 and all({"name", "value"} == set(c) for c in choices)
            if first is not None:
                assert choices[0]["value"] == first, choices


async def test_help_and_channel_defaults(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(tuned(app_config), full_engine, tmp_path / "drafts.db") as h:
        help_ = await h.send(h.fake.command("postpulse-help", {}))
        text = await reply_text(h, help_, "How to use PostPulse")
        assert text.startswith("**How to use PostPulse**")
        [callback] = h.fake.callbacks_for(help_)
        assert callback.type == CALLBACK_DEFERRED and callback.data["flags"] & FLAG_EPHEMERAL
        tones = await h.send(h.fake.command("postpulse-help", {"topic": "tones"}))
        assert "**casual**" in await reply_text(h, tones, "casual")

        by_prompt = await h.send(h.fake.command("postpulse", {"prompt": "help"}))  # the Slack habit
        assert await reply_text(h, by_prompt, "How to use PostPulse")
        assert all(
            m["flags"] & FLAG_EPHEMERAL or m["id"] in h.fake.deleted for m in h.fake.messages_for(by_prompt)
        )

        set_ = await h.send(
            h.fake.command(
                "postpulse-defaults", {"action": "set", "tone": "witty", "audience": "cyclists in Leeds"}
            )
        )
        await reply_text(h, set_, "witty")
        show = await h.send(h.fake.command("postpulse-defaults", {}))
        shown = await reply_text(h, show, "witty")
        assert "cyclists in Leeds" in shown
        assert h.service.store is not None
        guild, channel = h.fake.guilds[0].id, h.fake.guilds[0].channel_ids[0]
        saved = await h.service.store.defaults.get("discord", guild, channel)
        assert saved["tone"] == "witty" and saved["audience"] == "cyclists in Leeds"
        review = await h.send(
            h.fake.command("postpulse-defaults", {"action": "set", "review": ChannelRef(channel)})
        )
        assert f"review: {channel}" in await reply_text(h, review, "review:")
        saved = await h.service.store.defaults.get("discord", guild, channel)
        assert saved["review"] == channel and saved["tone"] == "witty", "a channel option, kept as its id"
        clear = await h.send(h.fake.command("postpulse-defaults", {"action": "clear"}))
        await reply_text(h, clear, "Cleared")
        assert await h.service.store.defaults.get("discord", guild, channel) == {}
        empty = await h.send(h.fake.command("postpulse-defaults", {"action": "set"}))
        [callback] = await h.fake.wait_for(lambda: h.fake.callbacks_for(empty))
        assert "Pick at least one option" in callback.data["content"]


async def test_dev_guild_sync(app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    try:
        guild = int(fake.guilds[0].id)
        async with running(
            tuned(app_config, dev_guilds=[guild]), full_engine, tmp_path / "d.db", fake=fake
        ) as h:
            assert set(fake.commands) == {str(guild)}, "synced to the dev guild only, not globally"
            help_ = await h.send(fake.command("postpulse-help", {}))
            assert await reply_text(h, help_, "How to use PostPulse")
    finally:
        await fake.close()


async def test_a_process_runs_its_own_shard_range(
    app_config: AppConfig, full_engine: AsyncEngine, tmp_path: Path
) -> None:
    on_shard = {n % 2: Guild(str(n << 22), f"guild {n}", [str((n << 22) + 1)]) for n in (1000, 1001)}
    fake = await FakeDiscord(guilds=list(on_shard.values())).start()
    config = tuned(app_config, shard_count=2, shard_ids=[1])
    try:
        async with running(config, full_engine, tmp_path / "d.db", fake=fake) as h:
            client = h.bot.client
            assert isinstance(client, PostPulseShardedClient)
            assert [i["shard"] for i in fake.identifies] == [[1, 2]]
            assert [g.id for g in client.guilds] == [int(on_shard[1].id)], "only this process's shard"
            help_ = await h.send(fake.command("postpulse-help", {}, guild=on_shard[1]))
            assert await reply_text(h, help_, "How to use PostPulse")
    finally:
        await fake.close()


def test_invite_url(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert cli.main(["discord", "invite-url", "--application-id", "1100000000000000001"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=1100000000000000001")
    assert "scope=bot+applications.commands" in url
    permissions = int(url.split("permissions=")[1].split("&")[0])
    # View Channel, Send Messages, Send Messages in Threads, Embed Links, Read Message History; no admin.
    assert permissions == (1 << 10) | (1 << 11) | (1 << 38) | (1 << 14) | (1 << 16)

    monkeypatch.setenv("DISCORD_APPLICATION_ID", "42")
    assert cli.main(["discord", "invite-url"]) == 0
    assert "client_id=42&" in capsys.readouterr().out

    monkeypatch.delenv("DISCORD_APPLICATION_ID")
    monkeypatch.setenv(
        "DISCORD_BOT_TOKEN", "MTEwMDAwMDAwMDAwMDAwMDAwMg.GaBcDe.secret-part"
    )  # id 1100000000000000002
    assert cli.main(["discord", "invite-url"]) == 0
    out = capsys.readouterr()
    assert "client_id=1100000000000000002&" in out.out and "secret" not in out.out + out.err

    monkeypatch.delenv("DISCORD_BOT_TOKEN")
    assert cli.main(["discord", "invite-url"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no application id") and "Traceback" not in err
