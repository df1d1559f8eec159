"""Preference pairs from the adapter's own samples, ranked by the best-of-n score (bot.quality).

`python -m training.selfplay [--briefs 240] [--n 4] [--out data/selfplay/pairs.jsonl]`, then
`postpulse train --method dpo --pairs data/selfplay/pairs.jsonl`.

Why: best-of-n pays n candidates per draft at serving time to find one that is on topic, in the asked
tone and free of invented facts. DPO on (best, worst) pairs of the training split's briefs moves that
preference into the adapter itself, so fewer candidates are needed; ratings from real users
(`postpulse feedback export --format dpo`) go through the same trainer. A pair is kept only where the
best candidate is the tone judge's pick for the asked tone and clearly beats the worst, so the pairs
teach tone and cleanliness, not noise. Only training-split briefs are used: the eval's held-out
briefs stay unseen. The pairs are generated, not written by people, and are not committed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path

from bot.catalog import Catalog
from bot.config import load_config
from bot.postprocess import Post, strip_debris
from bot.prompts import adapter_prompt_format
from bot.quality.bestof import Candidate, rank_key, score_outputs
from bot.quality.tone import ToneClassifier
from engine.backends.transformers.loading import load_model
from engine.config import ModelConfig
from training.dataset import Record, expand, load_files
from training.evaluate import SHORT_BRIEF_CHARS, EvalSettings, generate_candidates
from training.trainer_config import load_train_config

log = logging.getLogger(__name__)
MIN_GAP = 0.1  # the best candidate's total must beat the worst's by this much


def pair_for(
    record: Record, scored: list[tuple[Candidate[Post], str]], judge: ToneClassifier
) -> Record | None:
    """(best delivered draft, worst raw sample) for one brief, or None when nothing teaches tone."""
    ranked = sorted(scored, key=lambda pair: rank_key(pair[0]))
    (best, _), (worst, worst_raw) = ranked[0], ranked[-1]
    if best.rejected or best.total - worst.total < MIN_GAP:
        return None
    if judge.predict([best.item.text])[0] != record.tone:
        return None
    return record.model_copy(
        update={
            "text": None,
            "chosen": best.item.text,
            "rejected": worst_raw,
            "source": f"selfplay:{best.total:.2f}>{worst.total:.2f}",
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.selfplay", description=__doc__)
    parser.add_argument("--config", default="configs/training.yaml")
    parser.add_argument("--adapter", default="training/lora/postpulse-smollm2")
    parser.add_argument("--briefs", type=int, default=240, help="training-split short briefs to sample")
    parser.add_argument("--n", type=int, default=4, help="candidates per brief")
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--out", default="data/selfplay/pairs.jsonl")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    cfg = load_train_config(args.config)
    catalog = Catalog.from_config(load_config(env={}))
    train = [item.record for item in load_files(expand(cfg.data.train), catalog)]
    judge = ToneClassifier.fit([r.target for r in train], [r.tone for r in train])
    short = [r for r in train if len(r.prompt) <= SHORT_BRIEF_CHARS]
    records = short[:: max(1, len(short) // args.briefs)][: args.briefs]
    adapter = Path(args.adapter)
    model = ModelConfig(source=cfg.base_model, cache_dir=cfg.cache_dir, adapter=str(adapter.resolve()))
    loaded = load_model(model)
    settings = EvalSettings(seed=args.seed)
    outputs, _ = asyncio.run(
        generate_candidates(loaded, records, catalog, settings, adapter_prompt_format(adapter), args.n)
    )
    pairs = []
    for record, outs in zip(records, outputs, strict=True):
        candidates = score_outputs(record.brief(), outs, catalog, judge)
        raws = [strip_debris(out.text) for out in outs]
        pair = pair_for(record, list(zip(candidates, raws, strict=True)), judge)
        if pair is not None:
            pairs.append(pair)
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as fh:
        for pair in pairs:
            fh.write(json.dumps(pair.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
    print(f"{len(pairs)} pairs from {len(records)} briefs × {args.n} candidates -> {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
