"""`postpulse train | eval | data import` subcommands.

`register(subparsers)` plugs them into the main CLI (bot/cli.py); `main()` runs them alone
(`python -m training.cli ...`). Errors from training.errors (and the engine's ConfigError /
ModelLoadError) become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, InvalidRequest, ModelLoadError
from training.errors import TrainingError

DEFAULT_CONFIG = "configs/training.yaml"
Handler = Callable[[argparse.Namespace], int]


def _guard(handler: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (TrainingError, ConfigError, ModelLoadError, InvalidRequest) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted; resume with --resume", file=sys.stderr)
            return 130

    run.__name__ = handler.__name__
    return run


def _catalog() -> Any:
    from bot.catalog import Catalog
    from bot.config import load_config

    return Catalog.from_config(load_config())


def _parse_overrides(items: list[str] | None) -> dict[str, Any]:
    import yaml

    from training.errors import TrainConfigError

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise TrainConfigError(f"--set {item!r}: expected key=value (e.g. hyper.max_steps=10)")
        out[key.strip()] = yaml.safe_load(value)
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from training.train import run_training
    from training.trainer_config import load_train_config

    cfg = load_train_config(args.config, _parse_overrides(args.set))
    if args.backend:
        cfg = cfg.model_copy(update={"backend": args.backend})
    if args.method == "dpo":
        from training.dpo import run_dpo

        files = [Path(p) for p in args.pairs] if args.pairs else None
        dpo = run_dpo(cfg, files, catalog=_catalog())
        m = dpo.metadata["metrics"]
        print(
            f"DPO: {dpo.steps} steps on {dpo.pairs} preference pairs: loss {m['first_loss']} -> "
            f"{m['last_loss']}, {m['train_seconds']} s\nadapter: {dpo.adapter_dir}"
        )
        return 0
    result = run_training(cfg, resume=args.resume if args.resume != "latest" else True, catalog=_catalog())
    m = result.metadata["metrics"]
    print(
        f"trained {result.steps} steps on {result.backend} ({result.metadata['precision']}, "
        f"{result.metadata['optimizer']}): loss {m['first_loss']:.3f} -> {m['last_loss']:.3f}, "
        f"{m['seconds_per_step']} s/step, {m['train_seconds']} s"
    )
    print(f"adapter: {result.adapter_dir}  (loss curve: {result.adapter_dir / 'loss_curve.png'})")
    return 0


def cmd_eval_specifics(args: argparse.Namespace) -> int:
    """Drafts keep what the brief says: kept, contradicted, invented names, tags (issue 18)."""
    from bot.config import load_config
    from training.specifics_eval import report, run_specifics_eval

    config = load_config(args.app_config)
    rows = run_specifics_eval(config, Path(args.report_dir), limit=args.limit)
    print(report(rows, config.engine.backend, str(config.model.adapter)).split("## Drafts")[0].rstrip())
    print(f"\nreport: {Path(args.report_dir) / 'specifics_report.md'}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from training.evaluate import EvalSettings, run_eval
    from training.report import markdown
    from training.trainer_config import load_train_config

    if args.specifics:
        return cmd_eval_specifics(args)

    cfg = load_train_config(args.config)
    settings = EvalSettings(
        variants=args.variants,
        max_new_tokens=args.max_new_tokens,
        limit=args.limit,
        seed=args.seed,
        dtype=args.dtype,
        short_only=not args.all_briefs,
        best_of=args.best_of,
    )
    adapter = Path(args.adapter) if args.adapter else None
    summary = run_eval(
        cfg,
        adapter,
        with_base=args.base,
        catalog=_catalog(),
        settings=settings,
        report_dir=Path(args.report_dir),
        previous=Path(args.previous) if args.previous else None,
        merge=Path(args.merge) if args.merge else None,
        card=args.card,
    )
    print(markdown(summary).split("## Sample drafts")[0].rstrip())
    print(f"\nreport: {Path(args.report_dir) / 'eval_report.md'}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from training.importer import import_file, parse_pairs, write_jsonl

    result = import_file(
        Path(args.file), _catalog(), parse_pairs(args.map, "--map"), parse_pairs(args.default, "--default")
    )
    for line in result.skipped[:20]:
        print(f"skipped {line}", file=sys.stderr)
    for line in result.warnings[:20]:
        print(f"warning {line}", file=sys.stderr)
    if not result.records:
        from training.errors import ImportMappingError

        raise ImportMappingError(f"{args.file}: no usable rows ({len(result.skipped)} skipped)")
    out = Path(args.out) if args.out else Path("data/imported") / (Path(args.file).stem + ".jsonl")
    write_jsonl(result.records, out)
    print(
        f"imported {len(result.records)} records to {out} ({len(result.skipped)} skipped, "
        f"{len(result.warnings)} warnings); add it to data.extra in {DEFAULT_CONFIG} to train on it"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train`, `eval` and `data import` to a parent parser's subcommands."""
    train = subparsers.add_parser("train", help="fine-tune a LoRA adapter (unsloth on GPU, peft on CPU)")
    train.add_argument("--config", default=DEFAULT_CONFIG, help="training YAML (default: %(default)s)")
    train.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        default=False,
        help="resume from the latest checkpoint in run_dir, or from the one given",
    )
    train.add_argument("--backend", choices=["auto", "cpu", "gpu"], help="override the config's backend")
    train.add_argument(
        "--method",
        choices=["sft", "dpo"],
        default="sft",
        help="sft: posts -> adapter; dpo: preference pairs (feedback export) on top of the adapter",
    )
    train.add_argument("--pairs", nargs="+", help="preference-pair JSONL files for --method dpo")
    train.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set hyper.max_steps=10 (repeatable)",
    )
    train.set_defaults(func=_guard(cmd_train))

    ev = subparsers.add_parser("eval", help="score base vs adapter on the held-out split")
    ev.add_argument("--adapter", help="adapter directory to evaluate")
    ev.add_argument(
        "--base",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="include the base model in the comparison (default: yes)",
    )
    ev.add_argument("--config", default=DEFAULT_CONFIG)
    ev.add_argument("--report-dir", default="training/reports")
    ev.add_argument("--variants", type=int, default=2)
    ev.add_argument("--max-new-tokens", type=int, default=160)
    ev.add_argument("--limit", type=int, help="evaluate this many held-out briefs (spread evenly)")
    ev.add_argument("--seed", type=int, default=1234)
    ev.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    ev.add_argument("--previous", help="an earlier adapter to compare against (its own prompt format)")
    ev.add_argument("--merge", help="an eval.json (same settings) whose rows come first in this report")
    ev.add_argument("--card", action="store_true", help="write the eval table into the adapter's model card")
    ev.add_argument(
        "--best-of", type=int, default=4, help="candidates per variant for the best-of-n row (1: none)"
    )
    ev.add_argument(
        "--all-briefs", action="store_true", help="every held-out brief, not only the short (≤ 90 chars) ones"
    )
    ev.add_argument(
        "--specifics",
        action="store_true",
        help="only the held-out briefs with specifics, through the default backend (issue 18)",
    )
    ev.add_argument("--app-config", help="the app config for --specifics (default: configs/default.yaml)")
    ev.set_defaults(func=_guard(cmd_eval))

    data = subparsers.add_parser("data", help="dataset tools")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    imp = data_sub.add_parser("import", help="turn past posts (CSV/JSONL) into training records")
    imp.add_argument("file", help="a .csv or .jsonl file")
    imp.add_argument("--map", help="schema_field=column pairs, e.g. prompt=brief,text=caption")
    imp.add_argument("--default", help="values for fields the file lacks, e.g. tone=casual,platform=x")
    imp.add_argument("--out", help="output JSONL (default: data/imported/<name>.jsonl)")
    imp.set_defaults(func=_guard(cmd_import))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="postpulse")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
