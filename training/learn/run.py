"""`postpulse learn --brand NAME`: gather -> train -> eval -> gate -> record, for one brand.

The store is the only shared state: the run, the version and the gate's decision are rows there
(bot.store.adapter_versions), so every replica sees a promotion, and the next run starts where this
one's data ended. The adapter lands in `<learn.adapters_dir>/<brand>/vN` with its model card, its
metadata (postpulse.json, which the engine reads to serve it) and the gate's eval.json.

Training and scoring block for minutes, so they run in a worker thread; a scheduled run inside
`postpulse serve` starts this module as a child process instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import platformdirs

from bot.catalog import Catalog
from bot.config import AppConfig
from bot.store import Store
from bot.store.adapter_versions import AdapterState, AdapterVersion
from bot.store.url import APP_NAME
from engine.config import ModelConfig
from training import model_card
from training.errors import LearnError, UnknownBrand
from training.learn.gate import Decision, judge
from training.learn.gather import Gathered, gather
from training.learn.report import eval_markdown, metrics_table
from training.learn.scoring import AdapterScores, guard_briefs, score_adapter
from training.learn.style import rates, sign_off
from training.learn.trainer import Trained, train_version, write_jsonl
from training.trainer_config import REPO, TrainConfig

log = logging.getLogger(__name__)

DEFAULT_BRAND = "default"  # bot.brandkit.DEFAULT_BRAND: origins no `brands:` entry claims
Backend = Literal["auto", "cpu", "gpu"]


@dataclass
class LearnSummary:
    brand: str
    outcome: str  # promoted | testing | rejected | too_little
    reason: str
    version: int | None = None
    label: str | None = None
    path: str | None = None
    parent: str | None = None  # what it trained from and was judged against
    data: dict[str, int] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_brand(config: AppConfig, brand: str) -> None:
    if brand != DEFAULT_BRAND and brand not in config.brands:
        known = ", ".join(sorted(config.brands)) or "none"
        raise UnknownBrand(
            f"no brand '{brand}': learn and import work on a brand configured under `brands:` "
            f"(configured: {known}) or on '{DEFAULT_BRAND}'"
        )


def adapters_root(config: AppConfig) -> Path:
    given = config.learn.adapters_dir
    root = Path(given).expanduser() if given else Path(platformdirs.user_data_dir(APP_NAME)) / "adapters"
    return root.resolve()


def _existing(path: str | None) -> Path | None:
    if not path:
        return None
    p = Path(path).expanduser()
    p = p if p.is_absolute() else REPO / p
    return p if (p / "adapter_config.json").is_file() else None


async def current_adapter(
    store: Store, config: AppConfig, brand: str
) -> tuple[AdapterVersion | None, Path | None]:
    """What serves the brand now: its promoted version, else its configured adapter, else the
    shipped one (`model.adapter`); (None, None) is the base model alone."""
    promoted = await store.adapters.in_state(brand, "promoted")
    if promoted is not None:
        return promoted, Path(promoted.path)
    configured = config.brands[brand].adapter if brand in config.brands else None
    return None, _existing(configured) or _existing(config.model.adapter)


def too_little(brand: str, got: Gathered, need: int, since: str) -> str:
    if got.new < need:
        return (
            f"brand '{brand}' has {got.new} new approved post(s) and preference pair(s) {since}; "
            f"a run needs at least {need} (learn.min_new_examples)"
        )
    return (
        f"brand '{brand}' has no held-out approved post to judge a new version on "
        f"({len(got.posts)} approved post(s) in all); import or approve more posts"
    )


async def learn(
    config: AppConfig,
    store: Store,
    catalog: Catalog,
    train_config: TrainConfig,
    brand: str,
    *,
    max_steps: int | None = None,
    backend: Backend = "auto",
) -> LearnSummary:
    """One run of the loop for `brand`; returns what happened (also recorded in the store)."""
    check_brand(config, brand)
    started = time.perf_counter()
    run = await store.adapters.start_run(brand)
    try:
        last = await store.adapters.last_run(brand, trained=True)
        since = last.data_until if last is not None else None
        got = await gather(store, brand, since, config.learn.holdout_share)
        if got.new < config.learn.min_new_examples or not got.heldout:
            when = f"since {since.isoformat(timespec='seconds')}" if since else "in all"
            summary = LearnSummary(
                brand, "too_little", too_little(brand, got, config.learn.min_new_examples, when)
            )
            summary.data = got.counts | {"new": got.new, "needed": config.learn.min_new_examples}
            await store.adapters.finish_run(run.id, "too_little", summary=summary.as_dict())
            return summary
        summary = await _train_and_judge(
            config, store, catalog, train_config, brand, got, max_steps or config.learn.max_steps, backend
        )
    except BaseException as exc:
        await store.adapters.finish_run(run.id, "failed", summary={"error": str(exc)[:500]})
        raise
    summary.seconds["total"] = round(time.perf_counter() - started, 1)
    await store.adapters.finish_run(
        run.id, summary.outcome, version=summary.version, data_until=got.until, summary=summary.as_dict()
    )
    return summary


async def _train_and_judge(
    config: AppConfig,
    store: Store,
    catalog: Catalog,
    train_config: TrainConfig,
    brand: str,
    got: Gathered,
    max_steps: int,
    backend: Backend,
) -> LearnSummary:
    promoted, current = await current_adapter(store, config, brand)
    root = adapters_root(config) / brand
    version = await store.adapters.add(
        brand, lambda v: root / f"v{v}", parent_version=promoted.version if promoted else None
    )
    out_dir = Path(version.path)
    parent = promoted.label if promoted else (str(current) if current else "base model")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_jsonl(got.heldout, out_dir / "data" / "heldout.jsonl")
        trained = await asyncio.to_thread(
            train_version,
            train_config,
            out_dir,
            current,
            got.sft,
            got.pairs,
            max_steps=max_steps,
            backend=backend,
            catalog=catalog,
        )
        started = time.perf_counter()
        candidate_scores, current_scores = await asyncio.to_thread(
            _score_both, config, catalog, train_config, got, out_dir, current, parent
        )
        eval_seconds = round(time.perf_counter() - started, 1)
    except BaseException as exc:
        await store.adapters.decide(brand, version.version, "rejected", f"the run failed: {str(exc)[:300]}")
        raise
    decision = judge(candidate_scores, current_scores, config.learn.tolerance)
    state: AdapterState = (
        "rejected" if not decision.passed else "testing" if config.learn.ab_share > 0 else "promoted"
    )
    reason = decision.reason
    if state == "testing":
        reason += f"; A/B testing on {config.learn.ab_share:.0%} of the brand's drafts before promotion"
    report = _write_outputs(
        out_dir, brand, version, parent, got, trained, decision, candidate_scores, current_scores
    )
    await store.adapters.decide(brand, version.version, state, reason, report)
    return LearnSummary(
        brand=brand,
        outcome=state,
        reason=reason,
        version=version.version,
        label=version.label,
        path=str(out_dir),
        parent=parent,
        data=got.counts | {"sft": len(got.sft), "pairs": len(got.pairs), "new": got.new},
        metrics=metrics_table(decision),
        steps={"sft": trained.sft_steps, "dpo": trained.dpo_steps},
        seconds={"train": trained.seconds, "eval": eval_seconds},
    )


def _score_both(
    config: AppConfig,
    catalog: Catalog,
    train_config: TrainConfig,
    got: Gathered,
    candidate: Path,
    current: Path | None,
    current_label: str,
) -> tuple[AdapterScores, AdapterScores]:
    """Candidate and current on the same held-out posts, guard briefs and seeds."""
    s = train_config.learn
    phrase = sign_off(got.posts)
    target = rates(got.posts, phrase)
    guards = guard_briefs(config, catalog, s.guard_briefs, s.seed)
    model = ModelConfig(source=train_config.base_model, cache_dir=train_config.cache_dir)
    args = (model, got.heldout, guards, catalog, s, phrase, target)
    return (
        score_adapter("candidate", candidate, *args),
        score_adapter(f"current ({current_label})", current, *args),
    )


def _write_outputs(
    out_dir: Path,
    brand: str,
    version: AdapterVersion,
    parent: str,
    got: Gathered,
    trained: Trained,
    decision: Decision,
    candidate: AdapterScores,
    current: AdapterScores,
) -> dict[str, Any]:
    """eval.json, postpulse.json's learn block and the model card; returns the report the store keeps."""
    phrase = sign_off(got.posts)
    report: dict[str, Any] = {
        "brand": brand,
        "version": version.version,
        "trained_from": parent,
        "passed": decision.passed,
        "reason": decision.reason,
        "checks": metrics_table(decision),
        "brand_rates": asdict(rates(got.posts, phrase)) | {"sign_off_phrase": phrase},
        "candidate": candidate.as_dict(),
        "current": current.as_dict(),
        "data": got.counts | {"sft": len(got.sft), "pairs": len(got.pairs)},
    }
    (out_dir / "eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    meta = dict(trained.meta)
    meta["learn"] = {
        "brand": brand,
        "version": version.version,
        "trained_from": parent,
        "data_until": got.until.isoformat(),
        "sft_records": len(got.sft),
        "preference_pairs": len(got.pairs),
        "held_out_posts": len(got.heldout),
        "steps": {"sft": trained.sft_steps, "dpo": trained.dpo_steps},
    }
    (out_dir / "postpulse.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    if meta.get("base_model"):
        model_card.write(out_dir, meta, notes=eval_markdown(brand, version.label, parent, report))
    return {k: report[k] for k in ("trained_from", "passed", "checks", "brand_rates", "data")} | {
        "candidate": {k: v for k, v in candidate.as_dict().items() if k != "samples"},
        "current": {k: v for k, v in current.as_dict().items() if k != "samples"},
    }


async def rollback(store: Store, config: AppConfig, brand: str) -> AdapterVersion | None:
    """Reject the serving version and restore the previous one (None: the configured/shipped adapter)."""
    check_brand(config, brand)
    try:
        return await store.adapters.rollback(brand, "rolled back by an operator")
    except LookupError as exc:
        raise LearnError(f"{exc}; nothing to roll back") from exc
