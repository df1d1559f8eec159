"""The value types the Assistant, the store and every front door share (re-exported by
bot.assistant, the contract). A module of its own so the store need not import the Assistant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.brief import Brief
from bot.errors import InvalidOption
from bot.formats.parts import Parts
from bot.postprocess import Post

FrontDoor = Literal["slack", "discord", "http", "console", "playground"]
RatingValue = Literal["up", "down"]
RemixAction = Literal["regenerate", "shorter", "longer", "tone", "platform"]
# What a person may do beyond drafting: change the brand kit (admin), approve drafts (reviewer).
# Front doors resolve roles at the edge (Slack/Discord permissions, HTTP keys; `roles:` config).
Role = Literal["admin", "reviewer"]
ROLES: tuple[Role, ...] = ("admin", "reviewer")
FRONT_DOORS: tuple[FrontDoor, ...] = ("slack", "discord", "http", "console", "playground")
RATINGS: tuple[RatingValue, ...] = ("up", "down")
DEFAULT_TENANT = "default"  # the local, key-less setup (bot.tenancy has the whole mapping)
REMIX_ACTIONS: tuple[RemixAction, ...] = ("regenerate", "shorter", "longer", "tone", "platform")


@dataclass(frozen=True)
class Origin:
    """Who asked, from where. `delivery_id` makes a retried delivery a no-op (also across replicas)."""

    front_door: FrontDoor
    user_id: str
    workspace_id: str | None = None  # Slack team id, Discord guild id, HTTP API-key hash (None: keys off)
    channel_id: str | None = None
    user_name: str | None = None  # for "Drafting a casual LinkedIn post for @alice…"
    delivery_id: str | None = None  # Slack event/trigger id, Discord interaction id
    roles: frozenset[Role] = frozenset()  # resolved by the front door (bot.config.RolesConfig)

    def can(self, role: Role) -> bool:
        return role in self.roles


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
    request_id: str | None = None
    adapter: str | None = None  # the LoRA adapter that wrote it, if any
    backend: str | None = None  # the engine backend that wrote it (transformers, vllm, openai)
    adapter_version: int | None = None  # the brand adapter's vN that wrote it (None: the configured one)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tenant: str = DEFAULT_TENANT  # the team it belongs to (bot.tenancy)
    parts: Parts | None = None  # a thread's posts or a carousel's slides and caption (bot.formats)
    group_id: str | None = None  # siblings from one brief, one per platform (bot.jobs.DraftGroup)

    @property
    def generation_time(self) -> str:
        return f"{self.generation_seconds:.1f}s"

    @property
    def post(self) -> Post:
        """The variant to show first: the chosen one, else the first."""
        index = self.chosen_variant if self.chosen_variant is not None else 0
        return self.variants[index] if 0 <= index < len(self.variants) else self.variants[0]

    def check_variant(self, variant: int) -> None:
        """InvalidOption naming the allowed range unless `variant` is one of this draft's."""
        count = len(self.variants)
        if isinstance(variant, bool) or not isinstance(variant, int) or not 0 <= variant < count:
            raise InvalidOption(
                f"variant must be between 0 and {count - 1} for this draft (got {variant}).",
                field="variant",
                allowed=[str(i) for i in range(count)],
                value=str(variant),
            )


@dataclass(frozen=True)
class VariantFeedback:
    """One variant's text and its verdicts (each user's latest rating) for the feedback export."""

    index: int
    text: str
    ups: int
    downs: int
    chosen: bool

    @property
    def approved(self) -> bool:
        return self.ups > self.downs

    @property
    def rejected(self) -> bool:
        return self.downs > self.ups


@dataclass(frozen=True)
class DraftFeedback:
    draft_id: str
    brief: Brief
    created_at: datetime
    variants: list[VariantFeedback]
    chosen_variant: int | None
