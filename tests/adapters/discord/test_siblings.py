"""`/postpulse platform:x,linkedin …` through the real bot and the fake Discord: the first platform's draft
in the response, the other as a follow-up, each message with its own draft's buttons, both stored as
siblings (one group id)."""

from __future__ import annotations

from pathlib import Path

from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.discord.support import SHORT, draft_id_of, has_buttons, running, tuned
from tests.fakes.discord_api import Json

GENERATION_TIMEOUT = 600.0  # the CPU is shared; two 16-token drafts normally take seconds


def one_candidate(config: AppConfig) -> AppConfig:
    """The flow is under test, not best-of-n: one candidate per draft keeps it cheap."""
    quality = config.quality.model_copy(update={"best_of": {"transformers": 1}, "max_candidates": 1})
    return tuned(config).model_copy(update={"quality": quality})


async def test_two_platforms_give_two_messages_each_with_its_own_drafts_buttons(
    app_config: AppConfig, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with running(one_candidate(app_config), engine, tmp_path / "drafts.db") as h:
        guild = h.fake.guilds[0]
        cmd = h.fake.command(
            "postpulse", {"prompt": f"platform:x,linkedin {SHORT} A spring sale at a bike shop"}
        )
        await h.send(cmd)

        def both() -> list[Json] | None:
            shown = [m for m in h.fake.messages_for(cmd, ephemeral=False) if has_buttons(m)]
            return shown if len(shown) == 2 else None

        first, second = await h.fake.wait_for(both, GENERATION_TIMEOUT)
        assert h.fake.messages_for(cmd, ephemeral=True) == []
        ids = [draft_id_of(first), draft_id_of(second)]
        assert ids[0] != ids[1]
        tenant = f"discord:{guild.id}"
        drafts = [await h.service.store.drafts.get(i, tenant) for i in ids]
        assert [d.brief.platform for d in drafts] == ["x", "linkedin"]
        assert drafts[0].group_id is not None and drafts[0].group_id == drafts[1].group_id
        for message, draft in zip((first, second), drafts, strict=True):
            assert message["content"].startswith(draft.variants[0].text.strip()[:100])
            assert len(draft.variants[0].text) <= draft.platform_limit
