"""The `quality:` config section and how a DraftService picks up its prompt format and best-of-n.

Imported by bot.config, so it imports nothing that imports the config at module level.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from bot.drafts import DraftService
    from bot.prompts import PromptFormat

log = logging.getLogger(__name__)


class QualityConfig(BaseModel):
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

    def resolve_format(self, adapter: str | None) -> PromptFormat:
        from bot.prompts import adapter_prompt_format  # bot.config imports this module: no cycle

        return adapter_prompt_format(adapter) if self.prompt_format == "auto" else self.prompt_format


def configure(drafts: DraftService, quality: QualityConfig, adapter: str | None) -> None:
    """Give a freshly built DraftService its quality settings and the prompt its adapter expects."""
    drafts.quality = quality
    drafts.prompt_format = quality.resolve_format(adapter)
    if quality.tone_judge:
        from bot.quality.tone import warm_judge

        warm_judge()
    log.info("drafts use the %s prompt (adapter %s)", drafts.prompt_format, adapter or "none")
