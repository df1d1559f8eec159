"""The Assistant: what every chat front door (Slack, Discord, console, playground, HTTP draft routes) calls.

An adapter turns its payload into an `Origin` plus either command text (the slash-command grammar)
or brief fields, calls one method here, and renders what comes back. Everything PostPulse decides
(grammar, defaults, rate limits, remix, ratings, the store, duplicate deliveries) happens here, so the
front doors stay converters.

Errors an adapter must render (use `bot.messages.user_message(exc)` for the plain words):
`bot.errors.InvalidOption` (with `.suggestion`), `bot.errors.RateLimited` (`.retry_after_s`),
`engine.errors.EngineOverloaded` (`.retry_after_s`), `engine.errors.EngineNotReady`,
`bot.errors.DraftNotFound` (an unknown id, or another tenant's draft: bot.tenancy),
`bot.errors.DuplicateDelivery` (a retried delivery: acknowledge, say nothing more, start nothing),
any other exception ("generation failed").

Order of checks for a generation: duplicate delivery (claimed first, so a retry of anything, even
of a bad command, is answered once), then grammar/validation, then the rate limit, then the engine.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import grammar, info
from bot.brandkit.kit import BrandKit
from bot.brandkit.service import BrandKits, chat_changes
from bot.brands import BrandRouter
from bot.brief import SEED_MAX, Brief, make_brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import Draft, DraftService
from bot.errors import ConfigError, DuplicateDelivery, InvalidOption, NotAllowed
from bot.formats import brief_plan, reformatted, resized
from bot.jobs import DraftGroup, DraftJob
from bot.learn.stats import team_stats
from bot.limits import UserRateLimiter
from bot.links import LinkReader
from bot.records import (
    RATINGS,
    REMIX_ACTIONS,
    FrontDoor,
    Origin,
    RatingValue,
    RemixAction,
    StoredDraft,
)
from bot.review import Reviews
from bot.store import Store, new_draft_id
from bot.tenancy import Tenancy
from engine.backends.live import LiveEngine

log = logging.getLogger(__name__)

__all__ = [
    "Assistant",
    "DraftGroup",
    "DraftJob",
    "FrontDoor",
    "Info",
    "Origin",
    "RatingValue",
    "RemixAction",
    "Reply",
    "StoredDraft",
]

SHORTER = 0.6  # a "shorter" remix gets this share of the parent's length, "longer" 1 / SHORTER
TOKENS_PER_WORD = grammar.TOKENS_PER_WORD
# Brief fields a form (HTTP JSON, Discord options) may send that are not grammar options.
PASSTHROUGH_FIELDS = ("prompt", "max_length", "seed", "temperature")


@dataclass(frozen=True)
class Info:
    """A non-generation answer (help, catalogue lists, defaults). `text` is plain text with light
    markdown (`*bold*`, `- ` lists) that every platform renders acceptably."""

    title: str
    text: str


Reply = Info | DraftJob | DraftGroup


class Assistant:
    """One per process, built by `bot.service.BotService` (`service.assistant`) over its store.

    `drafts` is called for every generation (BotService.get): it raises EngineNotReady while the
    model loads, so the Assistant exists, and answers help and ratings, before the engine does.
    """

    def __init__(
        self,
        drafts: Callable[[], DraftService],
        store: Store,
        catalog: Catalog,
        config: AppConfig,
        *,
        limiter: UserRateLimiter | None = None,
        brand_drafts: Callable[[Origin], DraftService | None] | None = None,
        tenancy: Tenancy | None = None,
        kits: BrandKits | None = None,
        links: LinkReader | None = None,
    ) -> None:
        self._drafts = drafts
        # `url:` briefs (bot.links): the composition root's reader, its session opened and closed there.
        self.links = links
        # bot.brands: the DraftService of the brand that claims an origin (None: the default one).
        self._brand_drafts = brand_drafts
        self.store = store
        # Whose drafts an origin may see (bot.tenancy); without brands, every API key is its own team.
        self.tenancy = tenancy if tenancy is not None else Tenancy()
        self.catalog = catalog
        self.config = config
        self.max_variants = config.engine.max_variants
        self.limiter = limiter or UserRateLimiter(config.bot.user_rate_limit_per_minute)
        self.workspace_defaults = self._seed_defaults(config.bot.workspace_defaults)
        # Review states, edits and approvals (bot.review), over the same store and tenancy.
        self.reviews = Reviews(store, self.tenancy)
        # Brand kits (bot.brandkit): BotService passes its own, whose router knows the API keys.
        self.kits = kits if kits is not None else BrandKits(config, BrandRouter(config.brands, {}), store)

    def _seed_defaults(self, seeds: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Validate the config's workspace defaults at start-up, not at a user's first command."""
        out: dict[str, dict[str, Any]] = {}
        for workspace, options in seeds.items():
            try:
                out[workspace] = self._options(options)
            except InvalidOption as exc:
                raise ConfigError(f"config: bot.workspace_defaults.{workspace}: {exc}") from exc
        return out

    def _options(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for key, value in raw.items():
            option = grammar.canonical_key(key)
            if option is None:
                allowed = list(grammar.OPTION_FIELDS)
                raise InvalidOption(
                    f"Unknown option '{key}'. Valid options: {', '.join(allowed)}.",
                    field=key,
                    allowed=allowed,
                )
            if value is not None:
                options[option] = grammar.parse_value(option, value, self.catalog, self.max_variants)
        return options

    # the contract -------------------------------------------------------------------------------

    async def handle(self, origin: Origin, text: str) -> Reply:
        """`/postpulse …` text (grammar in bot.grammar). Empty text or `help` -> Info with usage;
        `tones`/`platforms`/`industries` -> Info lists; `defaults …` -> Info; else a DraftJob.
        Several platforms (`platform:x,linkedin`) -> a DraftGroup, one sibling draft each.
        Raises InvalidOption (a LinkError for a `url:` that cannot be read), RateLimited,
        DuplicateDelivery before any generation starts."""
        await self._claim(origin)
        command = grammar.parse(text, self.catalog, self.max_variants)
        if command.kind == "help":
            return Info("How to use PostPulse", info.usage(self.max_variants))
        if command.kind == "tones":
            return Info("Tones", info.tones(self.catalog))
        if command.kind == "platforms":
            return Info("Platforms", info.platforms(self.catalog))
        if command.kind == "industries":
            return Info("Industries", info.industries(self.catalog))
        if command.kind == "defaults":
            return await self._defaults(origin, command)
        if command.kind == "brand":
            return await self._brand(origin, command)
        return await self._start(origin, command.prompt, command.options, {})

    async def draft(
        self,
        origin: Origin,
        fields: dict[str, object],
        *,
        parse_prompt: bool = True,
        request_id: str | None = None,
    ) -> DraftJob | DraftGroup:
        """Brief fields already split (Discord options, HTTP JSON, the playground form); a `prompt`
        field may itself hold `key:value` grammar (`parse_prompt=False` takes it literally, as the
        HTTP API does). Form fields win over options in the prompt; channel defaults fill the rest.
        Keys: grammar option keys or Brief field names (call_to_action, brand_voice, max_length,
        seed, temperature), `url` (a page to write from) and `platform` (a name, a comma list or a
        list: several give a DraftGroup)."""
        await self._claim(origin)
        prompt = str(fields.get("prompt") or "")
        # A blank form field (the playground, an API client sending "") means "not given".
        raw = {k: v for k, v in fields.items() if k != "prompt" and v is not None and v != ""}
        raw = {k: v for k, v in raw.items() if not (isinstance(v, str) and not v.strip())}
        extra = {k: raw.pop(k) for k in PASSTHROUGH_FIELDS if k in raw}
        options: dict[str, Any] = {}
        if parse_prompt:
            options, prompt = grammar.extract_options(
                prompt, self.catalog, self.max_variants, extra_keys=grammar.LINK_KEYS
            )
        raw.pop("url", None)
        if fields.get("url") is not None:  # given: a full address, an empty one is refused too
            options["url"] = grammar.link(str(fields["url"]))
        options.update(self._options(raw))
        if "max_length" in extra:
            options.pop("length", None)
        return await self._start(origin, prompt, options, extra, request_id=request_id)

    async def remix(
        self, origin: Origin, draft_id: str, action: RemixAction, value: str | None = None
    ) -> DraftJob:
        """A new draft linked to `draft_id`: regenerate (sampled again; a new seed if the parent had
        one), shorter, longer, tone=value, platform=value."""
        await self._claim(origin)
        if action not in REMIX_ACTIONS:
            raise InvalidOption(
                f"Unknown remix action '{action}'. Valid actions: {', '.join(REMIX_ACTIONS)}.",
                field="action",
                allowed=REMIX_ACTIONS,
                value=str(action),
            )
        parent = await self.get(origin, draft_id)
        brief = self._remixed(parent, action, value)
        drafts = self._drafts_for(origin)
        kit = await self.kits.for_origin(origin)  # today's kit: a remix obeys it too
        self.limiter.check(origin)
        return self._job(drafts, origin, brief, kit, parent_id=parent.id, action=action)

    async def rate(self, origin: Origin, draft_id: str, variant: int, rating: RatingValue) -> StoredDraft:
        """Store a 👍/👎 (durably, before returning) and return the updated draft."""
        if rating not in RATINGS:
            raise InvalidOption(
                f"Unknown rating '{rating}'. Valid ratings: up, down.",
                field="rating",
                allowed=RATINGS,
                value=str(rating),
            )
        draft = await self.get(origin, draft_id)
        draft.check_variant(variant)
        await self.store.feedback.add_rating(draft_id, variant, rating, origin)  # committed when it returns
        return await self.get(origin, draft_id)

    async def choose(self, origin: Origin, draft_id: str, variant: int) -> StoredDraft:
        """ "Use this": record the chosen variant (the A/B signal) and return the updated draft."""
        draft = await self.get(origin, draft_id)
        draft.check_variant(variant)
        await self.store.feedback.add_choice(draft_id, variant, origin)
        return await self.get(origin, draft_id)

    async def get(self, origin: Origin, draft_id: str) -> StoredDraft:
        """The draft, if it belongs to the origin's tenant. Raises DraftNotFound for an unknown id
        and, with the same words, for another tenant's draft."""
        return await self.store.drafts.get(draft_id, self.tenancy.of(origin))

    # internals ----------------------------------------------------------------------------------

    def _drafts_for(self, origin: Origin) -> DraftService:
        brand = self._brand_drafts(origin) if self._brand_drafts is not None else None
        return brand if brand is not None else self._drafts()

    async def _claim(self, origin: Origin) -> None:
        if origin.delivery_id is None:
            return
        if not await self.store.deliveries.claim(f"{origin.front_door}:{origin.delivery_id}"):
            log.info("duplicate delivery %s:%s ignored", origin.front_door, origin.delivery_id)
            raise DuplicateDelivery(f"delivery {origin.delivery_id} was already processed")

    async def _defaults(self, origin: Origin, command: grammar.Command) -> Info:
        where = (origin.front_door, origin.workspace_id, origin.channel_id)
        if command.defaults_action == "clear":
            removed = await self.store.defaults.clear(*where)
            text = "Cleared this channel's defaults." if removed else "This channel had no defaults."
            return Info("Defaults", text)
        if command.defaults_action == "set":
            merged = {**await self.store.defaults.get(*where), **command.options}
            await self.store.defaults.set(*where, merged, origin.user_id)
            return Info("Defaults", info.defaults_saved(merged))
        channel = await self.store.defaults.get(*where)
        workspace = self.workspace_defaults.get(origin.workspace_id or "", {})
        return Info("Defaults", info.defaults(channel, workspace))

    async def _brand(self, origin: Origin, command: grammar.Command) -> Info:
        """`brand show | set … | examples add …`. A change by someone who is not an admin gets a
        plain refusal (as an answer, not an error, so every front door shows it as it is)."""
        if command.brand_action == "stats":
            return Info("Brand stats", await team_stats(self.store, self.kits.router, self.tenancy, origin))
        try:
            if command.brand_action == "set":
                kit = await self.kits.update(origin, chat_changes(command.brand_fields), source="chat")
                return Info("Brand kit saved", info.brand_kit(kit))
            if command.brand_action == "examples_add":
                added = await self.kits.add_examples(origin, [command.prompt], source="chat")
                kit = await self.kits.for_origin(origin)
                text = "Example post added." if added else "That example post was already in the kit."
                return Info("Brand kit", f"{text} The kit has {len(kit.examples)} example posts.")
        except NotAllowed as exc:
            return Info("Brand kit", str(exc))
        return Info("Brand kit", info.brand_kit(await self.kits.for_origin(origin)))

    async def _start(
        self,
        origin: Origin,
        prompt: str,
        options: Mapping[str, Any],
        extra: Mapping[str, Any],
        *,
        request_id: str | None = None,
    ) -> DraftJob | DraftGroup:
        merged: dict[str, Any] = dict(self.workspace_defaults.get(origin.workspace_id or "", {}))
        merged.update(
            await self.store.defaults.get(origin.front_door, origin.workspace_id, origin.channel_id)
        )
        merged.update(options)
        kit = await self.kits.for_origin(origin)
        if kit.voice and "voice" not in merged:  # the kit's voice, unless the brief or channel sets one
            merged["voice"] = kit.voice
        url = merged.pop("url", None)
        platforms = merged.pop("platform", None)
        platforms = platforms if isinstance(platforms, list) else [platforms]
        # A brief's faults are named before the rate limit counts it (a link's page is read after).
        checked = prompt if url is None else "a web page"  # the page's prompt is checked once it is read
        briefs = [self._brief(checked, {**merged, "platform": p}, extra) for p in platforms]
        drafts = self._drafts_for(origin)  # EngineNotReady / EngineDead before the rate limit counts
        self.limiter.check(origin)
        if url is not None:  # the page is read once the request is allowed: a fetch costs a visit
            if self.links is None:
                raise InvalidOption(
                    "This PostPulse does not read links: paste the text instead.", field="url"
                )
            prompt = await self.links.prompt(url, prompt, max_chars=self.config.engine.max_prompt_chars)
            briefs = [self._brief(prompt, {**merged, "platform": p}, extra) for p in platforms]
        if len(briefs) == 1:
            return self._job(drafts, origin, briefs[0], kit, request_id=request_id)
        group = new_draft_id()
        jobs = [
            self._job(
                drafts, origin, b, kit, request_id=request_id and f"{request_id}.{b.platform}", group_id=group
            )
            for b in briefs
        ]
        return DraftGroup(group, jobs)

    def _brief(self, prompt: str, options: Mapping[str, Any], extra: Mapping[str, Any]) -> Brief:
        fields = grammar.brief_fields(options)
        length = fields.pop("length", None)
        raw: dict[str, Any] = {**fields, **extra, "prompt": prompt}
        if length is not None and "max_length" not in extra:
            platform = self.catalog.platform(
                str(fields.get("platform") or Brief.model_fields["platform"].default)
            )
            raw["max_length"] = grammar.length_tokens(
                length, self.catalog.platforms[platform].typical_words, self.config.engine.max_new_tokens_cap
            )
        brief = make_brief(raw, self.catalog, self.config.engine)
        brief_plan(brief, self.catalog)  # a format the platform does not take: refused before any work
        return brief

    def _remixed(self, parent: StoredDraft, action: RemixAction, value: str | None) -> Brief:
        brief = parent.brief
        cap = self.config.engine.max_new_tokens_cap
        if action == "regenerate":
            # Unseeded sampling already gives a new draft. A seed is drawn only where the user seeded
            # the parent (so the new draft repeats too): on vLLM a seeded request goes the slow way,
            # one candidate at a time and prefilled cold (engine/backends/seeded.py, about 3x).
            if brief.seed is None:
                return brief
            return brief.model_copy(update={"seed": random.randint(0, SEED_MAX)})
        if action in ("shorter", "longer") and parent.parts is not None:  # a part fewer or more
            return resized(brief, self.catalog, parent.parts.count + (-1 if action == "shorter" else 1))
        if action in ("shorter", "longer"):
            # Measured from what was written (a draft may stop well before its token budget).
            words = max((p.word_count for p in parent.variants), default=0)
            written = min(brief.max_length, math.ceil(words * TOKENS_PER_WORD) + grammar.LENGTH_SLACK_TOKENS)
            if action == "shorter":
                tokens = max(grammar.MIN_TOKENS, math.floor(written * SHORTER))
            else:
                tokens = min(cap, max(brief.max_length, math.ceil(written / SHORTER)))
            return brief.model_copy(update={"max_length": tokens})
        if not value:
            kind = str(action)
            names = sorted(self.catalog.tones if kind == "tone" else self.catalog.platforms)
            raise InvalidOption(
                f"Remix '{kind}' needs a value: one of {', '.join(names)}.", field="value", allowed=names
            )
        option = grammar.parse_value(str(action), value, self.catalog, self.max_variants)
        if isinstance(option, list):  # `platform` remixes one draft into one platform
            raise InvalidOption(
                f"Remix a draft into one platform at a time (got '{value}').", field="value", value=value
            )
        return reformatted(brief.model_copy(update={str(action): option}))

    def _job(
        self,
        drafts: DraftService,
        origin: Origin,
        brief: Brief,
        kit: BrandKit,
        *,
        parent_id: str | None = None,
        action: RemixAction | None = None,
        request_id: str | None = None,
        group_id: str | None = None,
    ) -> DraftJob:
        events = drafts.stream(brief, request_id, timeout_s=self.config.engine.request_timeout_s, kit=kit)
        created_at = datetime.now(UTC)

        async def save(draft: Draft) -> StoredDraft:
            stored = StoredDraft(
                id=new_draft_id(),
                brief=draft.brief,
                variants=draft.variants,
                origin=origin,
                model=draft.model,
                generation_seconds=draft.generation_seconds,
                created_at=created_at,
                platform_limit=self.catalog.platforms[draft.brief.platform].char_limit,
                parent_id=parent_id,
                action=action,
                scores=_scores(draft),
                request_id=draft.request_id,
                adapter=_adapter_name(drafts),
                backend=draft.backend,
                adapter_version=draft.adapter_version,
                prompt_tokens=draft.prompt_tokens,
                completion_tokens=draft.completion_tokens,
                tenant=self.tenancy.of(origin),
                parts=draft.parts,
                group_id=group_id,
            )
            await self.store.drafts.add(stored, draft.finish_reasons)
            return stored

        return DraftJob(brief, events, save, origin=origin, parent_id=parent_id, action=action)


def _scores(draft: Draft) -> list[dict[str, float]] | None:
    """Best-of-n breakdowns per variant (Post.score), numbers only, when the variants were scored."""
    scores = [getattr(post, "score", None) for post in draft.variants]
    if not any(scores):
        return None
    return [{k: float(v) for k, v in (s or {}).items() if isinstance(v, int | float)} for s in scores]


def _adapter_name(drafts: DraftService) -> str | None:
    """The LoRA adapter the engine serves: the brand's (bot.brands), else what the backend says
    (transformers: loaded.adapter)."""
    if drafts.adapter:
        return drafts.adapter
    engine = drafts.engine.serving if isinstance(drafts.engine, LiveEngine) else drafts.engine
    adapter = engine.health().get("adapter") or getattr(getattr(engine, "loaded", None), "adapter", None)
    return Path(str(adapter)).name if adapter else None
