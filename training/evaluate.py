"""`postpulse eval`: base model vs adapter on the held-out split.

Generates `variants` drafts per held-out brief through the real engine (same prompts, same
continuous-batching scheduler as serving) and scores the model's own text before `finalize` (which
would force compliance and hide what the fine-tuning changed), and for the new quality metrics also
the delivered draft (`bot.quality.bestof.deliver`, serving's own path). Perplexity is on the
human-written held-out posts, given their brief, over the post's tokens only. Each model is prompted
in the format it was trained on (the adapter's postpulse.json), and the "+ best-of-n" row re-ranks
the same samples with bot.quality.
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
from bot.prompts import PromptFormat, adapter_prompt_format
from bot.quality.bestof import deliver, pick, score_outputs, sources
from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel, load_model
from engine.config import EngineConfig, ModelConfig
from engine.errors import ModelLoadError
from engine.types import GenerationRequest, SamplingParams, SequenceOutput
from training import metrics
from training.dataset import Record, expand, load_files
from training.errors import AdapterError
from training.trainer_config import TrainConfig

log = logging.getLogger(__name__)

SHORT_BRIEF_CHARS = 90  # "one-line briefs of at most 90 characters" (issue 11)


@dataclass
class EvalSettings:
    variants: int = 2
    max_new_tokens: int = 160
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int = 1234
    limit: int | None = None
    dtype: str = "auto"
    short_only: bool = True  # the target population: one-line briefs as people type them
    best_of: int = 4  # candidates per variant for the "+ best-of-n" row (1: no such row)


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
    prompt_format: str = "full"
    prompt_tokens: float = 0.0  # mean per brief
    # raw = the model's own text (after debris only); delivered = after finalize (fact guard, endings)
    key_terms_raw: float = 0.0
    key_terms: float = 0.0
    invented_raw: float = 0.0
    invented: float = 0.0
    first_person_raw: float = 0.0
    first_person: float = 0.0
    fragments_raw: float = 0.0
    fragments: float = 0.0
    hashtag_valid_raw: float = 0.0
    hashtag_valid: float = 0.0
    # issue 18, on the delivered draft: the brief's specifics kept (pooled), drafts keeping all of them,
    # drafts contradicting one, drafts inventing a name, drafts with a tag outside the rule or raw markup
    specifics_kept: float = 0.0
    all_specifics_kept: float = 0.0
    contradicted: float = 0.0
    invented_names: float = 0.0
    bad_hashtags: float = 0.0
    samples: list[dict[str, Any]] = field(default_factory=list)


async def generate_candidates(
    loaded: LoadedModel, records: list[Record], catalog: Catalog, s: EvalSettings, fmt: PromptFormat, n: int
) -> tuple[list[list[SequenceOutput]], float]:
    """n candidates per brief through the real engine; also the mean prompt length in tokens."""
    engine = AsyncEngine(loaded, EngineConfig(max_batch_size=64, max_queue=4096, request_timeout_s=7200))
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
                engine.generate(GenerationRequest(messages=r.messages(catalog, fmt), params=p, n=n))
                for r, p in zip(records, params, strict=True)
            )
        )
    finally:
        await engine.shutdown()
    prompt_tokens = sum(res.prompt_tokens for res in results) / max(len(results), 1)
    return [list(res.outputs) for res in results], prompt_tokens


@torch.no_grad()
def perplexity(
    loaded: LoadedModel, records: list[Record], catalog: Catalog, fmt: PromptFormat = "full", batch: int = 8
) -> float:
    """exp(mean NLL) of the human posts' tokens given their brief's prompt (answer tokens only)."""
    tok, model = loaded.tokenizer, loaded.model
    rows: list[tuple[list[int], int]] = []
    for r in records:
        prompt = r.messages(catalog, fmt)
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


def _row(
    label: str,
    records: list[Record],
    outputs: list[list[SequenceOutput]],
    catalog: Catalog,
    classifier: metrics.ToneClassifier,
) -> ModelScores:
    """Every metric over the drafts of one model (the raw text, and the draft a user would get)."""
    raw = [[strip_debris(o.text) for o in outs] for outs in outputs]
    flat = [
        (r, o, t)
        for r, outs, texts in zip(records, outputs, raw, strict=True)
        for o, t in zip(outs, texts, strict=True)
    ]
    brief = {r: r.brief() for r in records}
    delivered = [deliver(brief[r], o, catalog).text for r, o, _ in flat]  # as serving delivers it
    predicted = classifier.predict([t for _, _, t in flat])
    pairs = [(r, d) for (r, _, _), d in zip(flat, delivered, strict=True)]
    m = metrics.mean
    facts = [metrics.specifics_score(d, brief[r], catalog) for r, d in pairs]
    stated = sum(f.total for f in facts)
    return ModelScores(
        label=label,
        platform_limit=m([metrics.within_limit(t, r.platform, catalog) for r, _, t in flat]),
        hashtag_norm=m([metrics.hashtags_ok(t, r.platform, catalog) for r, _, t in flat]),
        tone_accuracy=m([p == r.tone for p, (r, _, _) in zip(predicted, flat, strict=True)]),
        distinct_1=m([metrics.distinct_n(ts, 1) for ts in raw]),
        distinct_2=m([metrics.distinct_n(ts, 2) for ts in raw]),
        repetition=m([metrics.repetition_rate(t) for _, _, t in flat]),
        perplexity=0.0,
        drafts=len(flat),
        seconds=0.0,
        key_terms_raw=m([metrics.key_term_coverage(t, r.prompt) for r, _, t in flat]),
        key_terms=m([metrics.key_term_coverage(d, r.prompt) for r, d in pairs]),
        invented_raw=m([metrics.has_invented_specifics(t, sources(brief[r])) for r, _, t in flat]),
        invented=m([metrics.has_invented_specifics(d, sources(brief[r])) for r, d in pairs]),
        first_person_raw=m([metrics.first_person(t) for _, _, t in flat]),
        first_person=m([metrics.first_person(d) for d in delivered]),
        fragments_raw=m([metrics.is_fragment(t) for _, _, t in flat]),
        fragments=m([metrics.is_fragment(d) for d in delivered]),
        hashtag_valid_raw=m([metrics.hashtag_lines_valid(t) for _, _, t in flat]),
        hashtag_valid=m([metrics.hashtag_lines_valid(d) for d in delivered]),
        specifics_kept=sum(f.kept for f in facts) / stated if stated else 1.0,
        all_specifics_kept=m([f.all_kept for f in facts]),
        contradicted=m([f.contradicted > 0 for f in facts]),
        invented_names=m([bool(f.invented_names) for f in facts]),
        bad_hashtags=m([bool(f.bad_tags) for f in facts]),
        samples=[
            {"platform": r.platform, "tone": r.tone, "prompt": r.prompt, "draft": d}
            for r, d in pairs[:: max(1, len(pairs) // 8)][:8]
        ],
    )


def _best_of(
    records: list[Record],
    outputs: list[list[SequenceOutput]],
    catalog: Catalog,
    classifier: metrics.ToneClassifier,
    variants: int,
) -> list[list[SequenceOutput]]:
    """The candidates DraftService would keep: scored by bot.quality, best distinct `variants`."""
    kept: list[list[SequenceOutput]] = []
    for r, outs in zip(records, outputs, strict=True):
        candidates = score_outputs(r.brief(), outs, catalog, classifier)
        by_text = {id(c): o for c, o in zip(candidates, outs, strict=True)}
        kept.append([by_text[id(c)] for c in pick(candidates, variants)])
    return kept


def score_model(
    label: str,
    model_config: ModelConfig,
    records: list[Record],
    catalog: Catalog,
    classifier: metrics.ToneClassifier,
    s: EvalSettings,
    fmt: PromptFormat = "full",
    best_of: int = 1,
) -> list[ModelScores]:
    """One row per model, plus a "+ best-of-n" row from the same samples when best_of > 1."""
    started = time.perf_counter()
    loaded = load_model(model_config)
    ppl = perplexity(loaded, records, catalog, fmt)
    n = s.variants * best_of
    outputs, prompt_tokens = asyncio.run(generate_candidates(loaded, records, catalog, s, fmt, n))
    seconds = round(time.perf_counter() - started, 1)
    rows = [_row(label, records, [o[: s.variants] for o in outputs], catalog, classifier)]
    if best_of > 1:
        picked = _best_of(records, outputs, catalog, classifier, s.variants)
        rows.append(_row(f"{label} + best-of-{best_of}", records, picked, catalog, classifier))
    for row in rows:
        row.perplexity, row.seconds, row.prompt_format, row.prompt_tokens = ppl, seconds, fmt, prompt_tokens
    del loaded
    return rows


def heldout_records(
    cfg: TrainConfig, catalog: Catalog, limit: int | None, short_only: bool = False
) -> list[Record]:
    records = [item.record for item in load_files(expand(cfg.data.heldout), catalog)]
    if short_only:
        records = [r for r in records if len(r.prompt) <= SHORT_BRIEF_CHARS]
    if limit:  # an even spread over tones and platforms rather than the first file
        step = max(1, len(records) // limit)
        records = records[::step][:limit]
    return records


def _merged_rows(path: Path, settings: EvalSettings, briefs: int) -> list[ModelScores]:
    """Rows of an earlier eval.json with the same settings and briefs (rows scored in separate runs,
    e.g. base and previous adapter while the new one still trains)."""
    earlier = json.loads(path.read_text())
    mine = {k: v for k, v in asdict(settings).items() if k != "best_of"}
    theirs = {k: v for k, v in earlier["settings"].items() if k != "best_of"}
    if mine != theirs or earlier["heldout_briefs"] != briefs:
        raise AdapterError(f"{path} was scored with other settings or briefs; run the whole eval again")
    return [ModelScores(**row) for row in earlier["models"]]


def run_eval(
    cfg: TrainConfig,
    adapter: Path | None,
    *,
    with_base: bool,
    catalog: Catalog,
    settings: EvalSettings,
    report_dir: Path,
    previous: Path | None = None,
    merge: Path | None = None,
    card: bool = False,
) -> dict[str, Any]:
    """Score base, the previous adapter, the adapter and the adapter + best-of-n; write report.md,
    eval.json and eval_chart.png to report_dir. Each model gets the prompt format it was trained on."""
    for path in (adapter, previous):
        if path is not None and not (path / "adapter_config.json").is_file():
            raise AdapterError(
                f"{path} is not an adapter directory (no adapter_config.json); run `postpulse train`"
            )
    train = [item.record for item in load_files(expand(cfg.data.train) + expand(cfg.data.extra), catalog)]
    heldout_all = [item.record for item in load_files(expand(cfg.data.heldout), catalog)]
    classifier = metrics.ToneClassifier.fit([r.target for r in train], [r.tone for r in train])
    classifier_acc = classifier.accuracy([r.target for r in heldout_all], [r.tone for r in heldout_all])
    records = heldout_records(cfg, catalog, settings.limit, settings.short_only)
    base = ModelConfig(source=cfg.base_model, cache_dir=cfg.cache_dir, dtype=settings.dtype)  # type: ignore[arg-type]
    results: list[ModelScores] = _merged_rows(merge, settings, len(records)) if merge else []
    try:
        if with_base or adapter is None:
            results += score_model("base", base, records, catalog, classifier, settings)
        for path, label, best_of in ((previous, "previous", 1), (adapter, "adapter", settings.best_of)):
            if path is None:
                continue
            tuned = base.model_copy(update={"adapter": str(path.resolve())})
            fmt = adapter_prompt_format(path)
            results += score_model(
                f"{label} ({path.name})", tuned, records, catalog, classifier, settings, fmt, best_of
            )
    except ModelLoadError as exc:
        raise AdapterError(str(exc)) from exc
    summary = {
        "heldout_briefs": len(records),
        "short_briefs_only": settings.short_only,
        "variants": settings.variants,
        "settings": asdict(settings),
        "tone_classifier_heldout_accuracy_on_human_posts": classifier_acc,
        "adapter": str(adapter) if adapter else None,
        "previous_adapter": str(previous) if previous else None,
        "adapter_meta": json.loads((adapter / "postpulse.json").read_text())
        if adapter and (adapter / "postpulse.json").is_file()
        else None,
        "models": [asdict(r) for r in results],
    }
    from training.report import write_report

    write_report(summary, report_dir)
    if card and adapter is not None and summary["adapter_meta"]:
        from training import model_card

        model_card.write(adapter, summary["adapter_meta"], summary)
    return summary
