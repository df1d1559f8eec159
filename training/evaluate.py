"""`postpulse eval`: base model vs adapter on the held-out split.

Generates `variants` drafts per held-out brief through the real engine (same prompts, same
continuous-batching scheduler as serving) and scores the model's own text before `finalize` (which
would force compliance and hide what the fine-tuning changed). Perplexity is on the human-written
held-out posts, given their brief, over the post's tokens only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from bot.catalog import Catalog
from bot.postprocess import strip_debris
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel, load_model
from engine.config import EngineConfig, ModelConfig
from engine.errors import ModelLoadError
from engine.types import GenerationRequest, SamplingParams
from training import metrics
from training.dataset import Record, expand, load_files
from training.errors import AdapterError
from training.trainer_config import TrainConfig

log = logging.getLogger(__name__)


@dataclass
class EvalSettings:
    variants: int = 2
    max_new_tokens: int = 160
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int = 1234
    limit: int | None = None
    dtype: str = "auto"


@dataclass
class ModelScores:
    label: str
    platform_limit: float
    hashtag_norm: float
    tone_accuracy: float
    distinct_1: float
    distinct_2: float
    repetition: float
    perplexity: float
    drafts: int
    seconds: float
    samples: list[dict[str, Any]] = field(default_factory=list)


async def _generate_all(
    loaded: LoadedModel, records: list[Record], catalog: Catalog, s: EvalSettings
) -> list[list[str]]:
    engine = AsyncEngine(loaded, EngineConfig(max_batch_size=64, max_queue=4096, request_timeout_s=3600))
    try:
        params = [
            SamplingParams(
                max_new_tokens=min(s.max_new_tokens, r.max_length or s.max_new_tokens),
                temperature=s.temperature,
                top_p=s.top_p,
                seed=s.seed + i,
            )
            for i, r in enumerate(records)
        ]
        results = await asyncio.gather(
            *(
                engine.generate(GenerationRequest(messages=r.messages(catalog), params=p, n=s.variants))
                for r, p in zip(records, params, strict=True)
            )
        )
    finally:
        await engine.shutdown()
    return [[strip_debris(o.text) for o in res.outputs] for res in results]


@torch.no_grad()
def perplexity(loaded: LoadedModel, records: list[Record], catalog: Catalog, batch: int = 8) -> float:
    """exp(mean NLL) of the human posts' tokens given their brief's prompt (answer tokens only)."""
    tok, model = loaded.tokenizer, loaded.model
    rows: list[tuple[list[int], int]] = []
    for r in records:
        prompt = r.messages(catalog)
        head = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=False)
        full = tok.apply_chat_template(
            [*prompt, {"role": "assistant", "content": r.target}], tokenize=True, return_dict=False
        )
        rows.append((list(full), len(head)))
    total_nll, total_tokens = 0.0, 0
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        width = max(len(ids) for ids, _ in chunk)
        pad = tok.pad_token_id or 0
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in chunk], device=loaded.device)
        mask = torch.tensor(
            [[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in chunk], device=loaded.device
        )
        labels = input_ids.clone()
        for row, (ids, head_len) in enumerate(chunk):
            labels[row, :head_len] = -100
            labels[row, len(ids) :] = -100
        logits = model(input_ids=input_ids, attention_mask=mask).logits.float()
        losses = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]),
            labels[:, 1:].reshape(-1),
            reduction="sum",
            ignore_index=-100,
        )
        total_nll += float(losses)
        total_tokens += int((labels[:, 1:] != -100).sum())
    return math.exp(total_nll / max(total_tokens, 1))


def score_model(
    label: str,
    model_config: ModelConfig,
    records: list[Record],
    catalog: Catalog,
    classifier: metrics.ToneClassifier,
    s: EvalSettings,
) -> ModelScores:
    started = time.perf_counter()
    loaded = load_model(model_config)
    ppl = perplexity(loaded, records, catalog)
    drafts = asyncio.run(_generate_all(loaded, records, catalog, s))
    flat = [(r, t) for r, texts in zip(records, drafts, strict=True) for t in texts]
    predicted = classifier.predict([t for _, t in flat])
    scores = ModelScores(
        label=label,
        platform_limit=metrics.mean([metrics.within_limit(t, r.platform, catalog) for r, t in flat]),
        hashtag_norm=metrics.mean([metrics.hashtags_ok(t, r.platform, catalog) for r, t in flat]),
        tone_accuracy=metrics.mean([p == r.tone for p, (r, _) in zip(predicted, flat, strict=True)]),
        distinct_1=metrics.mean([metrics.distinct_n(ts, 1) for ts in drafts]),
        distinct_2=metrics.mean([metrics.distinct_n(ts, 2) for ts in drafts]),
        repetition=metrics.mean([metrics.repetition_rate(t) for _, t in flat]),
        perplexity=ppl,
        drafts=len(flat),
        seconds=round(time.perf_counter() - started, 1),
        samples=[
            {"platform": r.platform, "tone": r.tone, "prompt": r.prompt, "draft": ts[0]}
            for r, ts in list(zip(records, drafts, strict=True))[:: max(1, len(records) // 8)][:8]
        ],
    )
    del loaded
    return scores


def heldout_records(cfg: TrainConfig, catalog: Catalog, limit: int | None) -> list[Record]:
    records = [item.record for item in load_files(expand(cfg.data.heldout), catalog)]
    if limit:  # an even spread over tones and platforms rather than the first file
        step = max(1, len(records) // limit)
        records = records[::step][:limit]
    return records


def run_eval(
    cfg: TrainConfig,
    adapter: Path | None,
    *,
    with_base: bool,
    catalog: Catalog,
    settings: EvalSettings,
    report_dir: Path,
) -> dict[str, Any]:
    """Score base and/or adapter, write report.md, eval.json and eval_chart.png to report_dir."""
    if adapter is not None and not (adapter / "adapter_config.json").is_file():
        raise AdapterError(
            f"{adapter} is not an adapter directory (no adapter_config.json); run `postpulse train`"
        )
    train = [item.record for item in load_files(expand(cfg.data.train) + expand(cfg.data.extra), catalog)]
    heldout_all = [item.record for item in load_files(expand(cfg.data.heldout), catalog)]
    classifier = metrics.ToneClassifier.fit([r.target for r in train], [r.tone for r in train])
    classifier_acc = classifier.accuracy([r.target for r in heldout_all], [r.tone for r in heldout_all])
    records = heldout_records(cfg, catalog, settings.limit)
    base = ModelConfig(source=cfg.base_model, cache_dir=cfg.cache_dir, dtype=settings.dtype)  # type: ignore[arg-type]
    results: list[ModelScores] = []
    try:
        if with_base or adapter is None:
            results.append(score_model("base", base, records, catalog, classifier, settings))
        if adapter is not None:
            tuned = base.model_copy(update={"adapter": str(adapter.resolve())})
            results.append(
                score_model(f"adapter ({adapter.name})", tuned, records, catalog, classifier, settings)
            )
    except ModelLoadError as exc:
        raise AdapterError(str(exc)) from exc
    summary = {
        "heldout_briefs": len(records),
        "variants": settings.variants,
        "settings": asdict(settings),
        "tone_classifier_heldout_accuracy_on_human_posts": classifier_acc,
        "adapter": str(adapter) if adapter else None,
        "adapter_meta": json.loads((adapter / "postpulse.json").read_text())
        if adapter and (adapter / "postpulse.json").is_file()
        else None,
        "models": [asdict(r) for r in results],
    }
    from training.report import write_report

    write_report(summary, report_dir)
    return summary
