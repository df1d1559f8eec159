"""The Assistant: what every chat front door (Slack, Discord, console, playground, HTTP draft routes) calls.

An adapter turns its payload into an `Origin` plus either command text (the slash-command grammar)
or brief fields, calls one method here, and renders what comes back. Everything PostPulse decides
(grammar, defaults, rate limits, remix, ratings, the store, duplicate deliveries) happens here, so the
front doors stay converters.

Errors an adapter must render (use `bot.messages.user_message(exc)` for the plain words):
`bot.errors.InvalidOption` (with `.suggestion`), `bot.errors.RateLimited` (`.retry_after_s`),
`engine.errors.EngineOverloaded` (`.retry_after_s`), `engine.errors.EngineNotReady`,
`bot.errors.DraftNotFound`, `bot.errors.DuplicateDelivery` (a retried delivery: acknowledge, say
nothing more, start nothing), any other exception ("generation failed").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.brief import Brief
from bot.drafts import DraftDelta
from bot.postprocess import Post

FrontDoor = Literal["slack", "discord", "http", "console", "playground"]
RatingValue = Literal["up", "down"]
RemixAction = Literal["regenerate", "shorter", "longer", "tone", "platform"]


@dataclass(frozen=True)
class Origin:
    """Who asked, from where. `delivery_id` makes a retried delivery a no-op (also across replicas)."""

    front_door: FrontDoor
    user_id: str
    workspace_id: str | None = None  # Slack team id, Discord guild id, HTTP API-key hash
    channel_id: str | None = None
    user_name: str | None = None  # for "Drafting a casual LinkedIn post for @alice…"
    delivery_id: str | None = None  # Slack event/trigger id, Discord interaction id


@dataclass(frozen=True)
class StoredDraft:
    """A finished draft as the store holds it; `id` is what buttons and routes carry."""

    id: str
    brief: Brief
    variants: list[Post]
    origin: Origin
    model: str
    generation_seconds: float
    created_at: datetime
    platform_limit: int
    parent_id: str | None = None
    action: RemixAction | None = None  # how it was made from its parent
    chosen_variant: int | None = None
    ratings: dict[int, RatingValue] = field(default_factory=dict)  # variant index -> latest rating
    scores: list[dict[str, float]] | None = None  # best-of-n score breakdown per variant, if any

    @property
    def generation_time(self) -> str:
        return f"{self.generation_seconds:.1f}s"


class DraftJob:
    """One generation in flight: `brief` is known at once (for the "Drafting…" line), then iterate:
    `DraftDelta`s while the model writes, finally one `StoredDraft` (already saved)."""

    brief: Brief

    def __aiter__(self) -> AsyncIterator[DraftDelta | StoredDraft]:
        raise NotImplementedError

    async def result(self) -> StoredDraft:
        """Drain the job (no streaming) and return the stored draft."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Cancel the generation if it is still running."""
        raise NotImplementedError


@dataclass(frozen=True)
class Info:
    """A non-generation answer (help, catalogue lists, defaults). `text` is plain text with light
    markdown (`*bold*`, `- ` lists) that every platform renders acceptably."""

    title: str
    text: str


Reply = Info | DraftJob


class Assistant:
    """One per process, built by `bot.service.BotService` (`service.assistant`) over its store.

    Signatures here are the contract the front doors code against; the bot-core work fills them in.
    """

    async def handle(self, origin: Origin, text: str) -> Reply:
        """`/postpulse …` text (grammar in bot.grammar). Empty text or `help` -> Info with usage;
        `tones`/`platforms`/`industries` -> Info lists; `defaults …` -> Info; else a DraftJob.
        Raises InvalidOption, RateLimited, DuplicateDelivery before any generation starts."""
        raise NotImplementedError

    async def draft(self, origin: Origin, fields: dict[str, object]) -> DraftJob:
        """Brief fields already split (Discord options, HTTP JSON, the playground form); a `prompt`
        field may itself hold `key:value` grammar. Channel defaults fill what is not given."""
        raise NotImplementedError

    async def remix(
        self, origin: Origin, draft_id: str, action: RemixAction, value: str | None = None
    ) -> DraftJob:
        """A new draft linked to `draft_id`: regenerate (new seed), shorter, longer, tone=value,
        platform=value."""
        raise NotImplementedError

    async def rate(self, origin: Origin, draft_id: str, variant: int, rating: RatingValue) -> StoredDraft:
        """Store a 👍/👎 (durably, before returning) and return the updated draft."""
        raise NotImplementedError

    async def choose(self, origin: Origin, draft_id: str, variant: int) -> StoredDraft:
        """"Use this": record the chosen variant (the A/B signal) and return the updated draft."""
        raise NotImplementedError

    async def get(self, draft_id: str) -> StoredDraft:
        """Raises DraftNotFound."""
        raise NotImplementedError
