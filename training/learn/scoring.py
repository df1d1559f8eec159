"""One adapter's scores for the gate: on the brand's held-out posts, and on the general guards.

- likelihood: mean per-token negative log-likelihood of the held-out posts given their briefs (the
  posts' tokens only; training.evaluate.perplexity, whose log this is);
- style: the brand's markers (training.learn.style) on drafts the adapter writes for those briefs;
- guards: what `postpulse eval --specifics` checks, on a small fixed spread of its held-out briefs
  (data/starter/heldout_specifics.jsonl): specifics kept, invented numbers and names, first person,
  cut endings, platform limits.

Every figure is on the model's own text (debris stripped, nothing finalized): the fact guard and the
ending repair would hide exactly what a damaged adapter does. Drafts go through the real engine, in
one batch per adapter, with the prompt format the adapter was trained on.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.brief import Brief
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.postprocess import strip_debris
from bot.prompts import PromptFormat, adapter_prompt_format, build_messages
from bot.quality.bestof import sources
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel, load_model
from engine.config import EngineConfig, ModelConfig
from engine.types import GenerationRequest, SamplingParams
from training import metrics
from training.dataset import Record
from training.evaluate import perplexity
from training.learn.style import StyleRates, rates, without_sign_off
from training.specifics_eval import SPECIFICS_FILE, load_briefs
from training.trainer_config import LearnSettings

# guard -> True when higher is better
GUARDS: dict[str, bool] = {
    "specifics_kept": True,
    "invented": False,
    "invented_names": False,
    "first_person": False,
    "fragments": False,
    "within_limit": True,
}


@dataclass
class AdapterScores:
    label: str
    adapter: str | None
    nll: float  # mean per-token NLL of the held-out brand posts (lower: the posts are likelier)
    style: StyleRates  # on drafts for the held-out posts' briefs
    style_gap: float  # mean |rate - the brand's rate| over its markers (lower: closer to the brand)
    guards: dict[str, float]
    drafts: int
    seconds: float
    samples: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def guard_briefs(config: AppConfig, catalog: Catalog, count: int, seed: int) -> list[Brief]:
    """A fixed, even spread of `count` briefs over the specifics set (same briefs every run)."""
    briefs = load_briefs(SPECIFICS_FILE, catalog, config, seed, None)
    step = max(1, len(briefs) // count)
    return briefs[::step][:count]


async def _generate(
    loaded: LoadedModel, briefs: list[Brief], catalog: Catalog, fmt: PromptFormat, s: LearnSettings
) -> list[str]:
    engine = AsyncEngine(loaded, EngineConfig(max_batch_size=64, max_queue=1024, request_timeout_s=3600))
    try:
        results = await asyncio.gather(
            *(
                engine.generate(
                    GenerationRequest(
                        messages=build_messages(b, catalog, fmt),
                        params=SamplingParams(
                            max_new_tokens=s.max_new_tokens,
                            temperature=s.temperature,
                            top_p=0.9,
                            seed=s.seed + i,
                        ),
                    )
                )
                for i, b in enumerate(briefs)
            )
        )
    finally:
        await engine.shutdown()
    return [strip_debris(r.outputs[0].text) for r in results]


def guard_figures(
    texts: list[str], briefs: list[Brief], catalog: Catalog, sign_off: str | None
) -> dict[str, float]:
    """The guards on each draft's body: the brand's sign-off ("— Team Acme") is its style, neither an
    invented name nor a cut sentence; the platform limit counts the whole draft."""
    m = metrics.mean
    bodies = [without_sign_off(t, sign_off) for t in texts]
    facts = [metrics.specifics_score(t, b, catalog) for t, b in zip(bodies, briefs, strict=True)]
    stated = sum(f.total for f in facts)
    return {
        "specifics_kept": sum(f.kept for f in facts) / stated if stated else 1.0,
        "invented": m(
            [metrics.has_invented_specifics(t, sources(b)) for t, b in zip(bodies, briefs, strict=True)]
        ),
        "invented_names": m([bool(f.invented_names) for f in facts]),
        "first_person": m([metrics.first_person(t) for t in bodies]),
        "fragments": m([metrics.is_fragment(t) for t in bodies]),
        "within_limit": m(
            [metrics.within_limit(t, b.platform, catalog) for t, b in zip(texts, briefs, strict=True)]
        ),
    }


def score_adapter(
    label: str,
    adapter: Path | None,
    model: ModelConfig,
    heldout: list[Record],
    guards: list[Brief],
    catalog: Catalog,
    settings: LearnSettings,
    sign_off: str | None,
    target: StyleRates,
) -> AdapterScores:
    """Load base + adapter, score it, let it go. Blocking: run it in a thread or a child process."""
    started = time.perf_counter()
    loaded = load_model(model.model_copy(update={"adapter": str(adapter) if adapter else None}))
    fmt = adapter_prompt_format(adapter)
    nll = math.log(perplexity(loaded, heldout, catalog, fmt))
    brand_briefs = [r.brief() for r in heldout[: settings.eval_briefs]]
    texts = asyncio.run(_generate(loaded, brand_briefs + guards, catalog, fmt, settings))
    del loaded
    brand_texts, guard_texts = texts[: len(brand_briefs)], texts[len(brand_briefs) :]
    style = rates(brand_texts, sign_off)
    return AdapterScores(
        label=label,
        adapter=str(adapter) if adapter else None,
        nll=round(nll, 4),
        style=style,
        style_gap=round(style.distance(target), 4),
        guards={k: round(v, 4) for k, v in guard_figures(guard_texts, guards, catalog, sign_off).items()},
        drafts=len(texts),
        seconds=round(time.perf_counter() - started, 1),
        samples=[{"brief": b.prompt, "draft": t} for b, t in zip(brand_briefs + guards, texts, strict=True)][
            :: max(1, len(texts) // 6)
        ][:6],
    )
