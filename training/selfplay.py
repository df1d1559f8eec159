"""Preference pairs from the adapter's own samples, ranked by the best-of-n score (bot.quality).

`python -m training.selfplay [--kind tone|specifics] [--briefs 240] [--n 4] [--out FILE]` (default
`data/selfplay/pairs.jsonl`), then `postpulse train --method dpo --pairs data/selfplay/pairs.jsonl`.

Why: best-of-n pays n candidates per draft at serving time to find one that is on topic, in the asked
tone and free of invented facts. DPO on (best, worst) pairs of the training split's briefs moves that
preference into the adapter itself, so fewer candidates are needed; ratings from real users
(`postpulse feedback export --format dpo`) go through the same trainer. Two kinds of pair:
- tone: kept only where the best candidate is the tone judge's pick for the asked tone and clearly
  beats the worst, so the pairs teach tone and cleanliness, not noise;
- specifics (issue 18): for briefs that state specifics (a discount, a day, a place), a delivered draft
  that keeps every one of them, contradicts none and invents no name, preferred to a raw sample of the
  same brief that dropped or changed one. The fact guard removes what a model invents, but nothing
  puts back what it left out; these pairs teach the model not to leave it out.
Only training-split briefs are used: the eval's held-out briefs stay unseen. The pairs are generated,
not written by people, and are not committed. `--save-candidates` keeps the sampled candidates so
pairs can be rebuilt (`--candidates`) without sampling again, which is most of the cost on a CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from bot.catalog import Catalog
from bot.config import load_config
from bot.postprocess import Post, strip_debris
from bot.prompts import adapter_prompt_format
from bot.quality.bestof import Candidate, rank_key, score_outputs
from bot.quality.specifics import FactCheck, brief_specifics, check, known_text
from bot.quality.tone import ToneClassifier
from engine.types import SequenceOutput
from training.dataset import Record, expand, load_files
from training.errors import DatasetError
from training.evaluate import SHORT_BRIEF_CHARS, EvalSettings, generate_candidates
from training.trainer_config import load_train_config

log = logging.getLogger(__name__)
MIN_GAP = 0.1  # the best candidate's total must beat the worst's by this much
Scored = tuple[Candidate[Post], str]  # (the delivered candidate, its raw sample after debris only)


def pair_for(record: Record, scored: list[Scored], judge: ToneClassifier) -> Record | None:
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


def _lost(found: FactCheck) -> int:
    return len(found.missing) + len(found.contradicted)


def specifics_pair(record: Record, scored: list[Scored], catalog: Catalog) -> Record | None:
    """(a delivered draft that keeps every specific, a raw sample that dropped or changed one), or
    None when the brief states no specific or no sample of it is on each side of that line."""
    brief = record.brief()
    specifics = brief_specifics(brief)
    if not specifics:
        return None
    terms = catalog.industries[brief.industry].terminology if brief.industry else []
    known = known_text(brief, terms)
    keepers = [c for c, _ in sorted(scored, key=lambda p: rank_key(p[0])) if not c.rejected]
    chosen = next((c for c in keepers if check(c.item.text, specifics, known).ok), None)
    losers = [(check(raw, specifics, known), c, raw) for c, raw in scored]
    losers = [item for item in losers if _lost(item[0])]
    if chosen is None or not losers:
        return None
    found, _, raw = max(losers, key=lambda item: (_lost(item[0]), -item[1].total))
    dropped = [s.text for s in found.missing] + [f"{g.text}->{said}" for g, said in found.contradicted]
    return record.model_copy(
        update={
            "text": None,
            "chosen": chosen.item.text,
            "rejected": raw,
            "source": f"selfplay-specifics:{len(specifics)} kept>lost {', '.join(dropped)}"[:200],
        }
    )


def pick_briefs(train: Sequence[Record], kind: str, count: int) -> list[Record]:
    """An even spread of training-split briefs: one-line briefs for tone; for specifics, the briefs
    that state some, one-line ones first (the population the eval scores) and long ones after."""
    if kind == "tone":
        short = [r for r in train if len(r.prompt) <= SHORT_BRIEF_CHARS]
        return short[:: max(1, len(short) // count)][:count]
    with_specifics = [r for r in train if brief_specifics(r.brief())]
    short = [r for r in with_specifics if len(r.prompt) <= SHORT_BRIEF_CHARS]
    long_ = [r for r in with_specifics if len(r.prompt) > SHORT_BRIEF_CHARS]
    rest = max(0, count - len(short))
    return (short + long_[:: max(1, len(long_) // max(rest, 1))][:rest])[:count]


def save_candidates(
    path: Path, records: Sequence[Record], outputs: Sequence[Sequence[SequenceOutput]]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record, outs in zip(records, outputs, strict=True):
            texts = [{"text": o.text, "finish_reason": o.finish_reason} for o in outs]
            fh.write(json.dumps({"record": record.model_dump(exclude_none=True), "outputs": texts}) + "\n")


def load_candidates(path: Path) -> tuple[list[Record], list[list[SequenceOutput]]]:
    """What save_candidates wrote (an output may also be a bare string: finish reason "stop")."""
    records, outputs = [], []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            records.append(Record(**row["record"]))
            outs = [
                o if isinstance(o, dict) else {"text": o, "finish_reason": "stop"} for o in row["outputs"]
            ]
            outputs.append([SequenceOutput(i, o["text"], [], o["finish_reason"]) for i, o in enumerate(outs)])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a candidates file from --save-candidates ({exc})") from exc
    return records, outputs


def make_pairs(
    kind: str,
    records: Sequence[Record],
    outputs: Sequence[Sequence[SequenceOutput]],
    catalog: Catalog,
    judge: ToneClassifier,
) -> list[Record]:
    pairs = []
    for record, outs in zip(records, outputs, strict=True):
        candidates = score_outputs(record.brief(), outs, catalog, judge)
        scored = list(zip(candidates, [strip_debris(out.text) for out in outs], strict=True))
        pair = (
            specifics_pair(record, scored, catalog)
            if kind == "specifics"
            else pair_for(record, scored, judge)
        )
        if pair is not None:
            pairs.append(pair)
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.selfplay", description=__doc__)
    parser.add_argument("--config", default="configs/training.yaml")
    parser.add_argument("--adapter", default="training/lora/postpulse-smollm2")
    parser.add_argument("--kind", choices=("tone", "specifics"), default="tone", help="what the pairs teach")
    parser.add_argument("--briefs", type=int, default=240, help="training-split briefs to sample")
    parser.add_argument("--n", type=int, default=4, help="candidates per brief")
    parser.add_argument("--max-new-tokens", type=int, default=EvalSettings.max_new_tokens)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--save-candidates", help="also write the sampled candidates here (JSONL)")
    parser.add_argument("--candidates", help="build pairs from saved candidates instead of sampling")
    parser.add_argument("--out", default="data/selfplay/pairs.jsonl")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    cfg = load_train_config(args.config)
    catalog = Catalog.from_config(load_config(env={}))
    train = [item.record for item in load_files(expand(cfg.data.train), catalog)]
    judge = ToneClassifier.fit([r.target for r in train], [r.tone for r in train])
    if args.candidates:
        records, outputs = load_candidates(Path(args.candidates))
    else:
        from engine.backends.transformers.loading import load_model
        from engine.config import ModelConfig

        records = pick_briefs(train, args.kind, args.briefs)
        adapter = Path(args.adapter)
        model = ModelConfig(source=cfg.base_model, cache_dir=cfg.cache_dir, adapter=str(adapter.resolve()))
        settings = EvalSettings(seed=args.seed, max_new_tokens=args.max_new_tokens)
        fmt = adapter_prompt_format(adapter)
        outputs, _ = asyncio.run(
            generate_candidates(load_model(model), records, catalog, settings, fmt, args.n)
        )
        if args.save_candidates:
            save_candidates(Path(args.save_candidates), records, outputs)
    pairs = make_pairs(args.kind, records, outputs, catalog, judge)
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as fh:
        for pair in pairs:
            fh.write(json.dumps(pair.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
    print(f"{len(pairs)} {args.kind} pairs from {len(records)} briefs × {args.n} candidates -> {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
