"""The Assistant over the real tiny model and a real SQLite store: commands, drafts, remix,
ratings, choices, channel defaults, duplicate deliveries, limits, and the errors front doors render."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant, DraftJob, Info, Origin, StoredDraft
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftDelta, DraftService
from bot.errors import ConfigError, DraftNotFound, DuplicateDelivery, InvalidOption, RateLimited
from bot.messages import user_message
from bot.store import Store, database_url, open_store
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig
from engine.errors import EngineNotReady, EngineOverloaded
from tests.bot.store.support import children as store_children
from tests.bot.store.support import rating_rows

pytestmark = pytest.mark.model

TINY = "length:8"  # a few decode steps per draft keep this file fast on 2 cores


def channel(user: str = "U1", delivery: str | None = None, ch: str = "C1") -> Origin:
    return Origin("slack", user, "T1", ch, user_name="alice", delivery_id=delivery)


@pytest_asyncio.fixture(loop_scope="session")
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(database_url(None, str(tmp_path / "drafts.db")))
    yield opened
    await opened.close()


def make_assistant(
    engine: AsyncEngine, store: Store, catalog: Catalog, config: AppConfig, **bot: object
) -> Assistant:
    # A generous deadline: CI shares 2 cores with everything else; these tests check behaviour, not speed.
    engine_limits = config.engine.model_copy(update={"request_timeout_s": 600})
    config = config.model_copy(update={"bot": config.bot.model_copy(update=bot), "engine": engine_limits})
    service = DraftService(engine, catalog, config.engine)
    return Assistant(lambda: service, store, catalog, config)


@pytest.fixture
def assistant(engine: AsyncEngine, store: Store, catalog: Catalog, app_config: AppConfig) -> Assistant:
    return make_assistant(engine, store, catalog, app_config, user_rate_limit_per_minute=0)


async def _run(reply: Info | DraftJob) -> tuple[list[DraftDelta], StoredDraft]:
    assert isinstance(reply, DraftJob)
    deltas: list[DraftDelta] = []
    async for event in reply:
        if isinstance(event, DraftDelta):
            deltas.append(event)
        else:
            return deltas, event
    raise AssertionError("the job ended without a stored draft")


async def test_slash_command_streams_then_stores(assistant: Assistant, store: Store) -> None:
    job = await assistant.handle(channel(), f"tone:casual platform:twitter variants:2 {TINY} Spring sale")
    assert isinstance(job, DraftJob)
    assert (job.brief.tone, job.brief.platform, job.brief.variants) == ("casual", "x", 2)
    deltas, stored = await _run(job)
    assert deltas and {d.index for d in deltas} == {0, 1}  # previews of the 2 variants, not the n candidates
    assert len(stored.variants) == 2 and all(v.text for v in stored.variants)
    again = await store.drafts.get(stored.id, "slack:T1")
    assert again.variants == stored.variants and again.brief == stored.brief
    assert (
        again.origin.user_id == "U1" and again.origin.workspace_id == "T1" and again.origin.channel_id == "C1"
    )
    assert again.model == assistant._drafts().model_name and again.generation_seconds > 0


@pytest.mark.parametrize("text", ["", "help", "tone:casual"])
async def test_help(assistant: Assistant, text: str) -> None:
    reply = await assistant.handle(channel(), text)
    assert isinstance(reply, Info) and "/postpulse" in reply.text and "variants:1-5" in reply.text


async def test_catalogue_lists(assistant: Assistant, catalog: Catalog) -> None:
    for word, names in (
        ("tones", catalog.tones),
        ("platforms", catalog.platforms),
        ("industries", catalog.industries),
    ):
        reply = await assistant.handle(channel(), word)
        assert isinstance(reply, Info)
        assert all(name in reply.text for name in names)


async def test_channel_defaults_set_show_clear_and_fill_briefs(assistant: Assistant) -> None:
    saved = await assistant.handle(
        channel(), 'defaults tone:witty platform:linkedin voice:"friendly, no jargon"'
    )
    assert isinstance(saved, Info) and "tone: witty" in saved.text
    await assistant.handle(channel(), "defaults industry:retail")  # merges with what is there
    shown = await assistant.handle(channel(), "defaults")
    assert isinstance(shown, Info)
    assert 'voice: "friendly, no jargon"' in shown.text and "industry: retail" in shown.text
    job = await assistant.handle(channel(), f"{TINY} tone:luxury New store")  # typed options win
    assert isinstance(job, DraftJob)
    assert (job.brief.tone, job.brief.platform, job.brief.brand_voice, job.brief.industry) == (
        "luxury",
        "linkedin",
        "friendly, no jargon",
        "retail",
    )
    await job.aclose()
    other = await assistant.handle(channel(ch="C2"), f"{TINY} New store")  # another channel: none
    assert isinstance(other, DraftJob) and other.brief.tone == "professional"
    await other.aclose()
    cleared = await assistant.handle(channel(), "defaults clear")
    assert isinstance(cleared, Info) and "Cleared" in cleared.text
    shown = await assistant.handle(channel(), "defaults")
    assert isinstance(shown, Info) and "No defaults" in shown.text


async def test_workspace_seeds_from_config(
    engine: AsyncEngine, store: Store, catalog: Catalog, app_config: AppConfig
) -> None:
    seeded = make_assistant(
        engine,
        store,
        catalog,
        app_config,
        workspace_defaults={"T1": {"tone": "motivational", "platform": "x"}},
    )
    job = await seeded.handle(channel(ch="C-seed"), f"{TINY} Team offsite")
    assert isinstance(job, DraftJob) and (job.brief.tone, job.brief.platform) == ("inspirational", "x")
    await job.aclose()
    with pytest.raises(ConfigError, match=r"bot\.workspace_defaults\.T2"):
        make_assistant(engine, store, catalog, app_config, workspace_defaults={"T2": {"tone": "casul"}})


async def test_duplicate_delivery_starts_one_draft(assistant: Assistant, store: Store) -> None:
    before = len(await store.feedback.export())
    first = await assistant.handle(channel(delivery="Ev-dup-1"), f"{TINY} Flash sale")
    with pytest.raises(DuplicateDelivery):
        await assistant.handle(channel(delivery="Ev-dup-1"), f"{TINY} Flash sale")
    _, stored = await _run(first)
    assert (await store.drafts.get(stored.id, stored.tenant)).id == stored.id
    assert len(await store.feedback.export()) == before  # nothing else was rated or written


async def test_remix_actions_link_to_the_parent(assistant: Assistant, store: Store) -> None:
    _, parent = await _run(
        await assistant.handle(channel(), "length:30 tone:casual platform:x Coffee tasting")
    )
    results = {}
    for action, value in (
        ("regenerate", None),
        ("shorter", None),
        ("longer", None),
        ("tone", "Witty"),
        ("platform", "linkedin"),
    ):
        _, child = await _run(await assistant.remix(channel("U2"), parent.id, action, value))  # type: ignore[arg-type]
        assert (child.parent_id, child.action) == (parent.id, action)
        results[action] = child
    # unseeded like its parent: on vLLM a seeded request takes the slow one-candidate-at-a-time path
    assert parent.brief.seed is None and results["regenerate"].brief.seed is None
    assert results["regenerate"].brief.prompt == parent.brief.prompt
    assert results["shorter"].brief.max_length < parent.brief.max_length <= results["longer"].brief.max_length
    assert results["tone"].brief.tone == "witty" and results["platform"].brief.platform == "linkedin"
    assert results["platform"].platform_limit == 3000
    children = await store_children(store, parent.id)
    assert [a for _, a in children] == ["regenerate", "shorter", "longer", "tone", "platform"]
    # a seeded parent regenerates with a new seed, so the new draft repeats as the parent did
    _, seeded = await _run(
        await assistant.draft(channel(), {"prompt": "Coffee tasting", "seed": 5, "max_length": 8})
    )
    _, again = await _run(await assistant.remix(channel(), seeded.id, "regenerate"))
    assert seeded.brief.seed == 5 and again.brief.seed is not None and again.brief.seed != 5
    with pytest.raises(InvalidOption) as info:
        await assistant.remix(channel(), parent.id, "tone", "casul")
    assert info.value.suggestion == "casual"
    with pytest.raises(InvalidOption, match="needs a value"):
        await assistant.remix(channel(), parent.id, "platform", None)
    with pytest.raises(DraftNotFound):
        await assistant.remix(channel(), "f" * 32, "shorter")


async def test_ratings_and_choices(assistant: Assistant, store: Store) -> None:
    _, draft = await _run(await assistant.handle(channel(), f"variants:3 {TINY} Gym opening"))
    updated = await assistant.rate(channel("U1"), draft.id, 0, "up")
    assert updated.ratings == {0: "up"}
    updated = await assistant.rate(channel("U2"), draft.id, 2, "down")
    updated = await assistant.rate(channel("U1"), draft.id, 0, "down")  # changed her mind: latest wins
    assert updated.ratings == {0: "down", 2: "down"}
    assert len(await rating_rows(store, draft.id)) == 3  # every row kept
    chosen = await assistant.choose(channel(), draft.id, 1)
    assert chosen.chosen_variant == 1 and chosen.post == chosen.variants[1]
    with pytest.raises(InvalidOption, match="between 0 and 2"):
        await assistant.rate(channel(), draft.id, 3, "up")
    with pytest.raises(InvalidOption, match="rating"):
        await assistant.rate(channel(), draft.id, 0, "meh")  # type: ignore[arg-type]
    with pytest.raises(DraftNotFound):
        await assistant.choose(channel(), "0" * 32, 0)
    assert (await assistant.get(channel(), draft.id)).chosen_variant == 1


async def test_form_fields_and_prompt_grammar(assistant: Assistant) -> None:
    job = await assistant.draft(
        Origin("discord", "U9", "G1", "C1"),
        {"prompt": "tone:witty platform:x Pizza night", "tone": "casual", "length": "short", "audience": ""},
    )
    assert (job.brief.tone, job.brief.platform, job.brief.prompt) == ("casual", "x", "Pizza night")
    assert job.brief.audience is None  # a blank form field is "not given"
    await job.aclose()
    literal = await assistant.draft(
        Origin("http", "key:1"), {"prompt": "tone:witty Pizza", "max_length": 4}, parse_prompt=False
    )
    assert literal.brief.prompt == "tone:witty Pizza" and literal.brief.max_length == 4
    await literal.aclose()
    with pytest.raises(InvalidOption, match="prompt is empty"):
        await assistant.draft(channel(), {"prompt": "  ", "tone": "casual"})


async def test_typos_are_refused_before_any_generation(assistant: Assistant, engine: AsyncEngine) -> None:
    with pytest.raises(InvalidOption) as info:
        await assistant.handle(channel(), "tone:casul Spring sale")
    assert user_message(info.value).startswith("unknown tone 'casul' — did you mean casual?")


async def test_per_user_rate_limit(
    engine: AsyncEngine, store: Store, catalog: Catalog, app_config: AppConfig
) -> None:
    limited = make_assistant(engine, store, catalog, app_config, user_rate_limit_per_minute=2)
    for _ in range(2):
        job = await limited.handle(channel("U-rate"), f"{TINY} Bakery")
        assert isinstance(job, DraftJob)
        await job.aclose()
    with pytest.raises(RateLimited) as info:
        await limited.handle(channel("U-rate"), f"{TINY} Bakery")
    assert "another draft in" in user_message(info.value) and 0 < info.value.retry_after_s <= 60
    help_reply = await limited.handle(channel("U-rate"), "help")  # only generations count
    assert isinstance(help_reply, Info)


async def test_overloaded_engine_is_busy_in_plain_words(
    loaded_model: LoadedModel, store: Store, catalog: Catalog, app_config: AppConfig
) -> None:
    """An engine with no queue room refuses at once; the job raises it, the user reads "busy"."""
    full = AsyncEngine(loaded_model, EngineConfig(max_queue=0))
    try:
        assistant = make_assistant(full, store, catalog, app_config, user_rate_limit_per_minute=0)
        job = await assistant.handle(channel(), f"{TINY} Sale")
        assert isinstance(job, DraftJob)
        with pytest.raises(EngineOverloaded) as info:
            await job.result()
        text = user_message(info.value)
        assert text.startswith("busy — try again in ") and text.endswith(" s")
    finally:
        await full.shutdown()


async def test_not_ready_until_the_engine_exists(
    store: Store, catalog: Catalog, app_config: AppConfig
) -> None:
    def no_engine() -> DraftService:
        raise EngineNotReady("the model is still loading")

    early = Assistant(no_engine, store, catalog, app_config)
    assert isinstance(await early.handle(channel(), "help"), Info)  # answers help without a model
    with pytest.raises(EngineNotReady) as info:
        await early.handle(channel(), "Spring sale")
    assert user_message(info.value) == "still starting up — try again in a few seconds"
