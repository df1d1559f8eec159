"""The application config: every section's schema, in one YAML file, validated with errors naming the
file and key.

The engine owns `model` and `engine`; the rest (catalogues, HTTP, store, chat adapters, brands,
quality) is PostPulse's. Schemas only: this module imports nothing that runs, so every service
(bot.brands, bot.drafts, bot.catalog, the adapters) imports it and it imports none of them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.errors import ConfigError
from engine.config import EngineConfig, ModelConfig, read_yaml, validate
from engine.errors import ConfigError as EngineConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIG_PATH = CONFIG_DIR / "default.yaml"

# One documented override per deployment-specific value: env var -> dotted config key.
ENV_OVERRIDES: dict[str, str] = {
    "POSTPULSE_MODEL_SOURCE": "model.source",
    "POSTPULSE_ADAPTER": "model.adapter",
    "POSTPULSE_DEVICE": "model.device",
    "POSTPULSE_DTYPE": "model.dtype",
    "POSTPULSE_CACHE_DIR": "model.cache_dir",
    "POSTPULSE_HOST": "http.host",
    "POSTPULSE_PORT": "http.port",
    "POSTPULSE_STORE_PATH": "store.path",
    "POSTPULSE_BACKEND": "engine.backend",
    "POSTPULSE_OPENAI_BASE_URL": "engine.openai.base_url",
    "POSTPULSE_OPENAI_MODEL": "engine.openai.model",
    "POSTPULSE_VLLM_ADAPTER_MODE": "engine.vllm.adapter_mode",  # lora on GPUs (the gpu image sets it)
    # POSTPULSE_OPENAI_API_KEY is the remote server's key: a secret, so it never enters the config. The
    # openai backend reads the variable that engine.openai.api_key_env names (that one by default).
    "POSTPULSE_ALLOWED_HOSTS": "http.allowed_hosts",  # comma-separated public host names
    "POSTPULSE_TRUSTED_PROXIES": "http.trusted_proxies",  # comma-separated proxy addresses/networks
    "DATABASE_URL": "store.url",
    "POSTPULSE_DISCORD_SHARD_COUNT": "discord.shard_count",
    "POSTPULSE_DISCORD_SHARD_IDS": "discord.shard_ids",
    "POSTPULSE_FETCH_ALLOW_PRIVATE": "links.allow_private",  # 1: links may reach private addresses
}


def comma_list(value: object) -> object:
    """A list setting given as one environment string, `a,b`."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [] if value is None else value


def ip_networks(value: list[str]) -> list[str]:
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network") from exc
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(65536, ge=1024)
    api_keys_env: str = "POSTPULSE_API_KEYS"
    rate_limit_per_minute: int = Field(120, ge=0)
    # Host names the server answers to besides localhost names and IP literals (DNS rebinding):
    # the public name Slack and browsers use, e.g. ["postpulse.example.com"]; ["*"] turns the check off.
    allowed_hosts: list[str] = []
    # Slow clients (adapters/http/limits.py): a request head must arrive within header_timeout_s of
    # the connection opening, a body within body_timeout_s of its head; an idle keep-alive
    # connection closes after keepalive_timeout_s; at most max_connections are open at once.
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    body_timeout_s: float = Field(30.0, gt=0, le=600)
    keepalive_timeout_s: float = Field(30.0, gt=0, le=3600)
    max_connections: int = Field(1000, ge=1)
    # After auth_failures_per_window wrong or missing keys from one client address within
    # auth_failure_window_s, that address gets 429 until the window passes; 0 turns it off.
    auth_failures_per_window: int = Field(10, ge=0)
    auth_failure_window_s: float = Field(60.0, gt=0)
    # Proxies (addresses or networks) whose X-Forwarded-For names the client (the compose file's Caddy).
    trusted_proxies: list[str] = []

    @field_validator("allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """POSTPULSE_ALLOWED_HOSTS / POSTPULSE_TRUSTED_PROXIES arrive as `a,b`."""
        return comma_list(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return ip_networks(value)


class StoreConfig(_Strict):
    path: str | None = None  # SQLite file; default: postpulse.db under the user data dir
    url: str | None = None  # postgresql://user:pass@host:port/db (DATABASE_URL) wins over `path`


class BotConfig(_Strict):
    """The bot core's limits and seeds (bot.assistant)."""

    user_rate_limit_per_minute: int = Field(10, ge=0)  # generations per chat user; 0 = no limit
    # workspace id (Slack team, Discord guild) -> option defaults, e.g. {"T0123": {"tone": "casual"}};
    # a channel's own `/postpulse defaults` win over these.
    workspace_defaults: dict[str, dict[str, Any]] = {}


class CatalogFiles(_Strict):
    tones: str = "tones.yaml"
    platforms: str = "platforms.yaml"
    industries: str = "industries.yaml"


class DiscordConfig(_Strict):
    """The Discord front door's settings (the token and URLs come from the environment)."""

    allowed_guilds: list[int] = []  # empty: every guild the bot is in
    allowed_channels: list[int] = []  # empty: every channel of an allowed guild
    dms: bool = True  # answer /postpulse in direct messages
    dev_guilds: list[int] = []  # sync commands to these guilds only (instant), not globally
    shard_count: int | None = Field(None, ge=1)  # set: run discord.py's AutoShardedClient
    shard_ids: list[int] | None = None  # this process's shards (default: all of shard_count)
    edit_interval_s: float = Field(1.0, ge=0.2)  # streamed edits, about one a second

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """`0-3` or `0,1` from POSTPULSE_DISCORD_SHARD_IDS."""
        if isinstance(value, str):
            lo, sep, hi = value.partition("-")
            if sep:
                return list(range(int(lo), int(hi) + 1))
            return [part for part in value.replace(" ", "").split(",") if part]
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordConfig:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("shard_ids needs shard_count")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad or not self.shard_ids:
                top = self.shard_count - 1
                raise ValueError(f"shard_ids must be between 0 and {top} (got {bad or 'none'})")
        return self


class SlackConfig(_Strict):
    """The Slack front door's tuning (tokens, signing secret and SLACK_API_URL come from the environment)."""

    command: str = Field("/postpulse", pattern=r"^/[a-z0-9_-]+$")
    # chat.update is Tier 3 (about 50 a minute per workspace); every draft in flight shares it.
    update_budget_per_minute: int = Field(50, ge=2, le=1000)
    edit_interval_s: float = Field(1.0, ge=0.05, le=30.0)  # streamed edits, about one a second
    rate_limit_retries: int = Field(4, ge=0, le=20)  # 429s a call waits out (Retry-After) before failing
    socket_ping_interval_s: float = Field(10.0, gt=0)


# Lower-case, so it can be a vLLM served-model name, a directory and a metrics label as it is.
BrandName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


EmojiPolicy = Literal["none", "some", "many"]
EMOJI_POLICIES: tuple[EmojiPolicy, ...] = ("none", "some", "many")
KIT_VOICE_MAX = 500  # like the `voice:` option: it goes into every prompt
KIT_EXAMPLE_MAX = 2000  # one example post (the longest platform's limit is 3,000)
KIT_EXAMPLES_MAX = 200  # examples a kit holds; a few of them go into each prompt
KIT_BANNED_MAX = 30  # vLLM refuses over 128 token sequences; each phrase makes up to four
KIT_PHRASE_MAX = 60
KIT_TAGS_MAX = 10
# The disclaimer and required hashtags together, so they always fit the shortest platform (X, 280)
# with room for the post itself.
KIT_REQUIRED_MAX = 120
TAG = r"^#?[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*$"


def _text(value: str, what: str) -> str:
    """Printable text: NUL and other control characters (tab and newline aside) are refused, since
    they reach a prompt and PostgreSQL cannot store NUL."""
    bad = next((ch for ch in value if ord(ch) < 32 and ch not in "\t\n\r"), None)
    if bad is not None:
        raise ValueError(f"{what} holds a control character (U+{ord(bad):04X})")
    return value


def _tags(value: list[str], what: str) -> list[str]:
    """`ad`, `#ad` -> `#ad`; one tag per word, duplicates (any case) dropped."""
    out: dict[str, str] = {}
    for raw in value:
        tag = raw.strip()
        if not re.fullmatch(TAG, tag):
            raise ValueError(f"{what}: {raw!r} is not a hashtag (letters, digits and _ with a letter)")
        tag = "#" + tag.lstrip("#")
        out.setdefault(tag.lower(), tag)
    if len(out) > KIT_TAGS_MAX:
        raise ValueError(f"{what}: at most {KIT_TAGS_MAX} hashtags (got {len(out)})")
    return list(out.values())


class RequiredText(_Strict):
    """What every post of the brand must carry."""

    disclaimer: str | None = Field(None, description='e.g. "Terms apply."')
    hashtags: list[str] = Field([], description='e.g. ["#ad"]')

    @field_validator("disclaimer")
    @classmethod
    def _disclaimer(cls, value: str | None) -> str | None:
        text = " ".join(_text(value, "the disclaimer").split()) if value else ""
        return text or None

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, value: list[str]) -> list[str]:
        return _tags(value, "required hashtags")

    @model_validator(mode="after")
    def _fits(self) -> RequiredText:
        size = len(self.disclaimer or "") + sum(len(t) + 1 for t in self.hashtags)
        if size > KIT_REQUIRED_MAX:
            raise ValueError(
                f"the disclaimer and required hashtags come to {size} characters; at most "
                f"{KIT_REQUIRED_MAX} fit every platform (X allows 280 in all)"
            )
        return self


class BrandKitConfig(_Strict):
    """A brand kit (bot.brandkit): the rules every draft of the brand obeys. In config it is the
    starting kit (`brands.<name>.kit`, and `brand_kit` for the default brand); what admins set over
    chat or HTTP is stored and wins field by field."""

    voice: str | None = Field(None, max_length=KIT_VOICE_MAX)
    examples: list[str] = Field([], max_length=KIT_EXAMPLES_MAX)
    banned: list[str] = Field([], description="words and phrases no post may contain")
    required: RequiredText = RequiredText()
    preferred_hashtags: list[str] = []
    emoji: EmojiPolicy | None = Field(None, description="none, some or many; unset: the platform's norm")

    @field_validator("voice")
    @classmethod
    def _voice(cls, value: str | None) -> str | None:
        text = " ".join(_text(value, "voice").split()) if value else ""
        return text or None

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: list[str]) -> list[str]:
        texts = [_text(text, "an example").strip() for text in value]
        for i, text in enumerate(texts):
            if not text:
                raise ValueError(f"example {i} is empty")
            if len(text) > KIT_EXAMPLE_MAX:
                raise ValueError(f"example {i} is {len(text)} characters; at most {KIT_EXAMPLE_MAX}")
        return list(dict.fromkeys(texts))

    @field_validator("banned")
    @classmethod
    def _banned(cls, value: list[str]) -> list[str]:
        phrases: dict[str, str] = {}
        for raw in value:
            phrase = " ".join(_text(raw, "banned").split())
            if not phrase or not re.search(r"\w", phrase):
                raise ValueError(f"banned: {raw!r} has no word in it")
            if len(phrase) > KIT_PHRASE_MAX:
                raise ValueError(f"banned: {phrase!r} is over {KIT_PHRASE_MAX} characters")
            phrases.setdefault(phrase.lower(), phrase)
        if len(phrases) > KIT_BANNED_MAX:
            raise ValueError(f"banned: at most {KIT_BANNED_MAX} words or phrases (got {len(phrases)})")
        return list(phrases.values())

    @field_validator("preferred_hashtags")
    @classmethod
    def _preferred(cls, value: list[str]) -> list[str]:
        return _tags(value, "preferred_hashtags")


class BrandConfig(_Strict):
    """One brand: its adapter and the origins it serves (bot.brands routes by these)."""

    adapter: str | None = None  # PEFT LoRA directory; None: the base model alone
    served_name: str | None = None  # the model server's name for it (vLLM --lora-modules); default: the brand
    slack_workspaces: list[str] = []  # Slack team ids (T…)
    discord_guilds: list[str] = []  # Discord guild ids (as strings: they overflow JSON numbers)
    api_keys_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$")  # names the variable, never a key
    kit: BrandKitConfig = BrandKitConfig()  # the starting brand kit (bot.brandkit)


class RolesConfig(_Strict):
    """The `roles:` section: who may change a brand kit (admin) and approve drafts (reviewer). Each
    front door resolves these when it builds an Origin (bot.records.Origin.roles).

    HTTP: a key listed in the admin or reviewer variable has that role and is also a valid API key;
    with no API keys configured at all (local use) every caller is admin and reviewer. Slack: the
    workspace's admins and owners, plus `slack_admins`, are admins; `slack_reviewers` and the members
    of `slack_reviewer_group` review. Discord: members with Manage Server are admins; members holding
    `discord_reviewer_role` review.
    """

    admin_keys_env: str = Field("POSTPULSE_ADMIN_KEYS", pattern=r"^[A-Z_][A-Z0-9_]*$")
    reviewer_keys_env: str = Field("POSTPULSE_REVIEWER_KEYS", pattern=r"^[A-Z_][A-Z0-9_]*$")
    slack_admins: list[str] = []  # Slack user ids (U…)
    slack_reviewers: list[str] = []  # Slack user ids (U…)
    slack_reviewer_group: str | None = None  # a Slack user group id (S…)
    discord_reviewer_role: str | None = None  # a Discord role id (as a string) or exact role name


class LinksConfig(_Strict):
    """The `links:` section: how `url:` briefs fetch a page (bot.links).

    Private, loopback, link-local, multicast, reserved and cloud-metadata addresses are refused after
    DNS resolution and on every redirect unless `allow_private` is on (POSTPULSE_FETCH_ALLOW_PRIVATE=1,
    for a page on this machine or the intranet) or the address lies in `allow_networks` (an intranet
    wiki's range, say, without opening the rest).
    """

    allow_private: bool = False
    allow_networks: list[str] = []  # addresses or networks reachable even with allow_private off
    max_bytes: int = Field(5_000_000, ge=1024, le=100_000_000)  # the page as decoded (gzip counts inflated)
    timeout_s: float = Field(10.0, gt=0, le=120)  # the whole fetch, every redirect included
    max_redirects: int = Field(5, ge=0, le=20)
    cache_ttl_s: float = Field(900.0, ge=0)  # 0: no cache
    cache_entries: int = Field(256, ge=0)
    user_agent: str = Field("PostPulse/0.1 (link to post)", min_length=1, max_length=200)

    @field_validator("allow_networks", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return comma_list(value)

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return ip_networks(value)


class QualityConfig(_Strict):
    """The `quality:` section: the prompt format and best-of-n (bot.drafts.DraftService.build)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # auto: the compact header when the served adapter's postpulse.json says it learned it, else full
    prompt_format: Literal["auto", "full", "compact"] = "auto"
    # candidates sampled per requested variant, by engine backend: batched decoding makes extra
    # candidates cheap on a GPU server and costly on a 2-core CPU (bench/bestof.py measures it)
    best_of: dict[str, int] = Field(default_factory=lambda: {"transformers": 2, "vllm": 4, "openai": 3})
    max_candidates: int = Field(8, ge=1, le=64)
    tone_judge: bool = True  # score tone agreement with the eval's TF-IDF + LR judge

    def candidates(self, backend: str, variants: int) -> int:
        per_variant = max(1, self.best_of.get(backend, 1))
        return max(variants, min(variants * per_variant, self.max_candidates))


class LearnConfig(_Strict):
    """The `learn:` section: the learning loop (issue 19). `postpulse learn` trains a brand's next
    adapter version from its team's approvals, edits, ratings, picks and imported posts; the gate
    promotes it only when it evaluates better; a running serve picks promotions up by polling."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adapters_dir: str | None = None  # <dir>/<brand>/vN; None: "adapters" under the user data dir
    min_new_examples: int = Field(20, ge=1)  # fewer new approved texts/pairs: the run refuses, saying so
    max_steps: int = Field(60, ge=1, le=100_000)  # each of SFT and DPO, unless --max-steps says otherwise
    holdout_share: float = Field(0.2, gt=0, lt=1)  # of the brand's approved posts, kept for the gate
    # how much worse a guard rate may get and still pass: one draft of the 8 guard briefs is 0.125, so a
    # tolerance below that rejects on one draft's sampling noise (training.yaml learn.guard_briefs)
    tolerance: float = Field(0.15, ge=0, le=1)
    ab_share: float = Field(0.0, ge=0, le=0.5)  # share of a brand's drafts the testing version writes
    schedule: str | None = None  # run the loop inside serve, e.g. "every 24h" (None: only by command)
    poll_s: float = Field(30.0, gt=0, le=600)  # how often serve checks the store for a promotion
    nice: int = Field(10, ge=0, le=19)  # the training process's niceness: drafts keep the CPU first

    @field_validator("schedule")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            schedule_seconds(value)  # raises, naming the form it takes
        return value

    @property
    def every_s(self) -> float | None:
        """The schedule's period in seconds (None: no schedule)."""
        return schedule_seconds(self.schedule) if self.schedule is not None else None


SCHEDULE = re.compile(r"^\s*every\s+(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$", re.IGNORECASE)
SCHEDULE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def schedule_seconds(text: str) -> float:
    """ "every 24h" -> 86400.0. Units s, m, h, d; at least a minute apart."""
    match = SCHEDULE.match(text)
    if match is None:
        raise ValueError(
            f"'{text}' is not a schedule: write 'every N' and a unit s, m, h or d, e.g. 'every 24h'"
        )
    seconds = float(match[1]) * SCHEDULE_UNITS[match[2].lower()]
    if seconds < 60:
        raise ValueError(f"'{text}' is too often: runs must be at least a minute apart (e.g. 'every 6h')")
    return seconds


class AppConfig(BaseModel):
    # Sections owned by other packages (chat adapters) may add keys, so the top level is lenient.
    model_config = ConfigDict(extra="allow")

    model: ModelConfig = ModelConfig()
    engine: EngineConfig = EngineConfig()
    http: HttpConfig = HttpConfig()
    store: StoreConfig = StoreConfig()
    bot: BotConfig = BotConfig()
    slack: SlackConfig = SlackConfig()
    catalogs: CatalogFiles = CatalogFiles()
    discord: DiscordConfig = DiscordConfig()
    brands: dict[BrandName, BrandConfig] = {}  # one adapter per brand (bot.brands)
    quality: QualityConfig = QualityConfig()  # prompt format, best-of-n (bot.drafts)
    roles: RolesConfig = RolesConfig()  # who administers brand kits and reviews drafts
    brand_kit: BrandKitConfig = BrandKitConfig()  # the default brand's starting kit (bot.brandkit)
    links: LinksConfig = LinksConfig()  # fetching pages for url: briefs (bot.links)
    learn: LearnConfig = LearnConfig()  # the learning loop: per-brand adapter versions (issue 19)
    config_dir: Path = CONFIG_DIR

    @model_validator(mode="after")
    def _possible(self) -> AppConfig:
        """Combinations each valid alone that would fail every request at run time: refuse them at
        start-up, naming the keys, rather than answer each draft with a 422 about an internal field."""
        engine, problems = self.engine, []
        # The in-process engine refuses more sequences at once than max_batch_size; vLLM falls back to it.
        if engine.backend == "transformers" or (engine.backend == "vllm" and engine.vllm.fallback):
            need = self.quality.candidates("transformers", engine.max_variants)
            if need > engine.max_batch_size:
                problems.append(
                    f"engine.max_batch_size ({engine.max_batch_size}) is below the {need} sequences a draft "
                    f"of engine.max_variants ({engine.max_variants}) samples with "
                    f"quality.best_of.transformers ({self.quality.best_of.get('transformers', 1)}, at most "
                    f"quality.max_candidates = {self.quality.max_candidates} in all): raise "
                    "engine.max_batch_size or lower the others"
                )
        if engine.default_max_new_tokens > engine.max_new_tokens_cap:
            problems.append(
                f"engine.default_max_new_tokens ({engine.default_max_new_tokens}) is above "
                f"engine.max_new_tokens_cap ({engine.max_new_tokens_cap}): every draft without a length "
                "would be refused"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _set_dotted(data: dict[str, Any], dotted: str, value: str) -> None:
    *sections, key = dotted.split(".")
    for depth, section in enumerate(sections):
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError(f"config: {'.'.join(sections[: depth + 1])}: expected a mapping")
        data = data[section]
    data[key] = value if value != "" else None


@contextlib.contextmanager
def config_errors() -> Iterator[None]:
    """engine.config reads and validates YAML for the bot too; an error there is the bot's here."""
    try:
        yield
    except ConfigError:
        raise
    except EngineConfigError as exc:
        raise ConfigError(str(exc)) from exc


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> AppConfig:
    """Load the app config; env overrides (ENV_OVERRIDES) win over the file."""
    config_path = Path(path) if path else DEFAULT_CONFIG_PATH
    env = os.environ if env is None else env
    with config_errors():
        data = read_yaml(config_path)
        for var, dotted in ENV_OVERRIDES.items():
            if var in env:
                _set_dotted(data, dotted, env[var])
        data["config_dir"] = config_path.resolve().parent
        return validate(AppConfig, data, config_path)
