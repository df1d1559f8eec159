"""Response bodies as typed dicts: what the routes build, and what /openapi.json says they build.

TypedDicts rather than models because the routes already build plain dicts; annotating them with
these lets mypy check a route against its documented shape at no cost per request, and pydantic
generates the schemas (adapters/http/openapi.py) from the same classes.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict  # pydantic reads TypedDicts from here before Python 3.12

from bot.records import RatingValue, RemixAction
from bot.review_types import ReviewAction, ReviewState

EngineStatus = Literal["loading", "ready", "dead", "failed"]


class ErrorDetail(TypedDict):
    message: str
    type: str
    param: str | None


class Error(TypedDict):
    error: ErrorDetail


class Post(TypedDict):
    text: str
    word_count: int
    character_count: int
    hashtags: list[str]


class Slide(TypedDict):
    headline: Annotated[str, Field(description="at most 8 words")]
    text: Annotated[str, Field(description="at most 25 words")]


FormatKind = Annotated[Literal["thread", "carousel"], Field(description="threads and carousels only")]
PartList = Annotated[
    list[str] | list[Slide],
    Field(description="a thread's posts in order, numbered \"1/5 …\", or a carousel's slides in order"),
]
Caption = Annotated[str, Field(description="carousels only: the caption, with the hashtags")]


class GenerateTextResponse(TypedDict):
    """The original spec's three fields, then extras a spec client ignores."""

    generated_text: str
    generation_time: Annotated[str, Field(pattern=r"^\d+\.\ds$")]
    word_count: Annotated[int, Field(ge=0)]
    character_count: NotRequired[int]
    platform_limit: NotRequired[int]
    hashtags: NotRequired[list[str]]
    variants: NotRequired[list[Post]]
    model: NotRequired[str]
    backend: NotRequired[Annotated[str, Field(description="the engine backend that wrote it")]]
    request_id: NotRequired[str]
    draft_id: NotRequired[Annotated[str, Field(description="the stored draft (see /v1/drafts)")]]
    parent_id: NotRequired[Annotated[str, Field(description="remixes only: the draft it came from")]]
    action: NotRequired[Annotated[str, Field(description="remixes only: how it was made")]]
    format: NotRequired[FormatKind]
    parts: NotRequired[PartList]
    caption: NotRequired[Caption]


class PlatformDraft(GenerateTextResponse):
    platform: Annotated[str, Field(description="the platform this sibling was written for")]


class DraftGroupResponse(TypedDict):
    """/generate-text with several platforms: one sibling draft each, in the order asked."""

    group_id: Annotated[str, Field(description="shared by the siblings in the store")]
    drafts: list[PlatformDraft]


class AssistantMessage(TypedDict):
    role: Literal["assistant"]
    content: str


class Choice(TypedDict):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class Usage(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(TypedDict):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class ModelCard(TypedDict):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(TypedDict):
    object: Literal["list"]
    data: list[ModelCard]


class AdapterServing(TypedDict):
    serving: Annotated[str, Field(description='the version writing the drafts: "acme/v3", or "configured"')]
    testing: Annotated[str | None, Field(description="the version writing an A/B share of them, if any")]


class Health(TypedDict):
    status: EngineStatus
    adapters: NotRequired[
        Annotated[
            dict[str, AdapterServing],
            Field(description="each brand's adapter version (the learning loop; `default` included)"),
        ]
    ]


class Ready(TypedDict):
    ready: bool
    status: EngineStatus
    model: str | None
    backend: NotRequired[Annotated[str, Field(description="the engine backend serving new requests")]]
    handoff: NotRequired[
        Annotated[
            Literal["warming", "target", "restarting", "fallback"],
            Field(
                description="with the hand-off: warming (vLLM starting, transformers serves), target "
                "(vLLM serves), restarting (vLLM coming back, transformers serves), fallback"
            ),
        ]
    ]
    target: NotRequired[Annotated[str, Field(description="with the hand-off: the backend taking over")]]


class CatalogEntry(TypedDict):
    name: str


class CatalogTone(CatalogEntry):
    description: str


class CatalogPlatform(CatalogEntry):
    char_limit: int


class Catalog(TypedDict):
    """Each entry names itself; the rest of an entry is the catalogue's YAML (see /v1/catalog)."""

    tones: list[CatalogTone]
    platforms: list[CatalogPlatform]
    industries: list[CatalogEntry]
    limits: dict[str, int]


class Variant(Post):
    index: int
    rating: RatingValue | None


DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Revision(TypedDict):
    """Number 0 is the model's text; 1.. are edits. Who: a display name (chat users), never an id."""

    variant: int
    number: int
    text: str
    author: str | None
    created_at: DateTime


class ApprovedRevision(TypedDict):
    variant: int
    revision: int


class ReviewEvent(TypedDict):
    """One entry of the audit trail."""

    action: ReviewAction
    actor: str | None
    front_door: str
    at: DateTime
    variant: int | None
    revision: int | None
    note: str | None


class StoredDraft(TypedDict):
    id: str
    parent_id: NotRequired[str | None]
    action: NotRequired[RemixAction | None]
    front_door: NotRequired[str]
    brief: Annotated[dict[str, object], Field(description="the validated brief it was written from")]
    variants: list[Variant]
    chosen_variant: int | None
    platform_limit: NotRequired[int]
    model: str
    adapter: NotRequired[str | None]
    backend: NotRequired[str | None]
    generation_time: str
    created_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    format: NotRequired[FormatKind]
    parts: NotRequired[PartList]
    caption: NotRequired[Caption]
    # The review (GET /v1/drafts/{id} and the review routes; bot.review_types):
    state: NotRequired[ReviewState]
    revisions: NotRequired[list[Revision]]
    approved: NotRequired[ApprovedRevision | None]
    approved_text: NotRequired[str | None]
    history: NotRequired[list[ReviewEvent]]


class BrandKitRequired(TypedDict):
    disclaimer: str | None
    hashtags: list[str]


class BrandKit(TypedDict):
    """A brand's effective kit: the config's starting kit with what its admins set over it."""

    brand: str
    voice: str | None
    examples: list[str]
    banned: list[str]
    required: BrandKitRequired
    preferred_hashtags: list[str]
    emoji: Literal["none", "some", "many"] | None


RESPONSES = (
    Error,
    GenerateTextResponse,
    DraftGroupResponse,
    ChatCompletion,
    ModelList,
    Health,
    Ready,
    Catalog,
    StoredDraft,
    BrandKit,
)
