"""BrandKits: which brand an origin belongs to, its effective kit, and changing it.

A brand is what `brands:` maps a Slack workspace, Discord guild or API key to (bot.brands), and
`default` for every origin no brand claims. The config gives each brand its starting kit; what its
admins set over chat or HTTP is stored (bot.store.brand_kits) and wins field by field. Every read
goes to the store, so every replica drafts with a change as soon as it is committed.

Only admins change a kit (`origin.can("admin")`, resolved by the front door); a caller sees and
changes its own brand's kit only, and another brand answers like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from bot.brandkit.kit import DEFAULT_BRAND, EXAMPLES_REPLACED, BrandKit, merged
from bot.brands import BrandRouter
from bot.config import KIT_EXAMPLES_MAX, AppConfig, BrandKitConfig
from bot.errors import BrandNotFound, InvalidOption, NotAllowed
from bot.records import Origin
from bot.store import Store
from bot.store.brand_kits import example_hash

FIELDS = tuple(BrandKitConfig.model_fields)
CLEARED: dict[str, Any] = {
    "banned": [],
    "preferred_hashtags": [],
    "required": {"disclaimer": None, "hashtags": []},
}
NOT_ADMIN = "Only a brand admin can change the brand kit; ask one of your workspace's admins."


def invalid(exc: ValidationError) -> InvalidOption:
    """The first problem, naming the field and, for an unknown one, the fields there are."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "kit"
    if err["type"] == "extra_forbidden":
        return InvalidOption(
            f"Unknown brand kit field '{field}'. Allowed fields: {', '.join(FIELDS)}; "
            "required takes disclaimer and hashtags.",
            field=field,
            allowed=FIELDS,
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    return InvalidOption(f"Invalid brand kit '{field}': {message}.", field=field)


class BrandKits:
    def __init__(self, config: AppConfig, router: BrandRouter, store: Store) -> None:
        self.config = config
        self.router = router
        self.store = store

    def brand_of(self, origin: Origin) -> str:
        return self.router.brand_for(origin) or DEFAULT_BRAND

    def starting(self, brand: str) -> BrandKitConfig:
        """The config's kit for `brand` (`brands.<name>.kit`, or `brand_kit` for the default)."""
        entry = self.config.brands.get(brand)
        return entry.kit if entry is not None else self.config.brand_kit

    async def kit(self, brand: str) -> BrandKit:
        """The effective kit: the starting kit, then the stored fields and examples."""
        stored = await self.store.brand_kits.settings(brand)
        start = self.starting(brand)
        examples = await self.store.brand_kits.examples(brand)
        if not stored.get(EXAMPLES_REPLACED):
            known = {example_hash(t) for t in examples}
            examples = [t for t in start.examples if example_hash(t) not in known] + examples
        return BrandKit.build(brand, merged(start, stored) if stored else start, examples)

    async def for_origin(self, origin: Origin) -> BrandKit:
        return await self.kit(self.brand_of(origin))

    async def show(self, origin: Origin, brand: str | None = None) -> BrandKit:
        """The caller's brand kit; `brand` must be the caller's own (else BrandNotFound)."""
        return await self.kit(self._own(origin, brand))

    async def update(
        self, origin: Origin, changes: Mapping[str, Any], brand: str | None = None, *, source: str
    ) -> BrandKit:
        """Set the named fields (the rest keep their value; `required` merges key by key).
        `examples`, when named, replaces the brand's example posts. Raises NotAllowed,
        BrandNotFound, InvalidOption naming the field."""
        name = self._own(origin, brand)
        self._admin(origin)
        stored = await self.store.brand_kits.settings(name)
        fields = {k: v for k, v in changes.items() if k != "examples"}
        unknown = [k for k in changes if k not in FIELDS]
        if unknown:
            allowed = ", ".join(FIELDS)
            raise InvalidOption(
                f"Unknown brand kit field '{unknown[0]}'. Allowed fields: {allowed}.",
                field=unknown[0],
                allowed=FIELDS,
            )
        settings = dict(stored)
        for key, value in fields.items():
            if value is None and key in CLEARED:  # null clears a list, or the required text
                value = CLEARED[key]
            if key == "required" and isinstance(value, Mapping) and value.get("hashtags", []) is None:
                value = {**value, "hashtags": []}
            if key == "required" and isinstance(value, Mapping) and isinstance(settings.get(key), Mapping):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = value
        try:
            checked = merged(self.starting(name), settings)
            examples = (
                BrandKitConfig.model_validate({"examples": changes["examples"] or []}).examples
                if "examples" in changes
                else None
            )
        except ValidationError as exc:
            raise invalid(exc) from exc
        # Stored as validated (tags with their '#', phrases tidied), only the fields admins set.
        clean = checked.model_dump()
        settings = {k: clean[k] for k in settings if k in clean} | (
            {EXAMPLES_REPLACED: True} if examples is not None else {}
        )
        if EXAMPLES_REPLACED in stored and examples is None:
            settings[EXAMPLES_REPLACED] = stored[EXAMPLES_REPLACED]
        if "required" in settings:
            settings["required"] = clean["required"]
        await self.store.brand_kits.set(name, settings, origin.user_id)
        if examples is not None:
            await self.store.brand_kits.clear_examples(name)
            await self.store.brand_kits.add_examples(name, examples, source, origin.user_id)
        return await self.kit(name)

    async def add_examples(
        self, origin: Origin, texts: Sequence[str], brand: str | None = None, *, source: str
    ) -> int:
        """Add example posts (admins only); returns how many were new (a known text adds nothing)."""
        name = self._own(origin, brand)
        self._admin(origin)
        try:
            valid = BrandKitConfig.model_validate({"examples": list(texts)}).examples
        except ValidationError as exc:
            raise invalid(exc) from exc
        current = await self.kit(name)
        known = {example_hash(t) for t in current.examples}  # the config's examples count too
        fresh = [t for t in valid if example_hash(t) not in known]
        if len(current.examples) + len(fresh) > KIT_EXAMPLES_MAX:
            raise InvalidOption(
                f"The brand kit holds {len(current.examples)} example posts; at most {KIT_EXAMPLES_MAX} "
                "fit. Replace them (PUT /v1/brands/{brand} with `examples`) to start afresh.",
                field="examples",
            )
        return await self.store.brand_kits.add_examples(name, fresh, source, origin.user_id)

    def _own(self, origin: Origin, brand: str | None) -> str:
        mine = self.brand_of(origin)
        if brand is not None and brand != mine:
            raise BrandNotFound(f"no such brand: '{brand}'")
        return mine

    @staticmethod
    def _admin(origin: Origin) -> None:
        if not origin.can("admin"):
            raise NotAllowed(NOT_ADMIN, role="admin")


def chat_changes(fields: Mapping[str, str]) -> dict[str, Any]:
    """`brand set` settings (grammar.BRAND_KEYS' fields, typed text) -> brand kit fields; lists are
    comma-separated (hashtags also space-separated), and an empty value clears the setting."""

    def items(text: str, spaces: bool = False) -> list[str]:
        parts = text.replace(" ", ",").split(",") if spaces else text.split(",")
        return [part.strip() for part in parts if part.strip()]

    changes: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "banned":
            changes["banned"] = items(value)
        elif key == "required.disclaimer":
            changes.setdefault("required", {})["disclaimer"] = value or None
        elif key == "required.hashtags":
            changes.setdefault("required", {})["hashtags"] = items(value, spaces=True)
        elif key == "preferred_hashtags":
            changes["preferred_hashtags"] = items(value, spaces=True)
        elif key == "emoji":
            changes["emoji"] = value.lower() or None
        else:
            changes[key] = value or None
    return changes
