"""`postpulse brand import` and `postpulse learn [run|rollback]`: the learning loop from a terminal.

Only converts: arguments -> training.learn calls -> lines (or JSON) on stdout, one error line on
stderr. The loop itself lives in training/learn/; the training modules load lazily, so `postpulse
--help` does not import torch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from adapters.learn_status import add_status
from bot.catalog import Catalog
from bot.config import AppConfig, load_config
from bot.store import Store, database_url, open_store
from training.errors import TrainingError

TRAIN_CONFIG = "configs/training.yaml"
EXIT_INVALID = 2


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"--max-steps wants a whole number of at least 1 (got '{value}')")
    return number


def _config(args: argparse.Namespace) -> AppConfig:
    return load_config(args.config)


async def _with_store(config: AppConfig, work: Any) -> Any:
    store = await open_store(database_url(config.store.url, config.store.path))
    try:
        return await work(store)
    finally:
        await store.close()


def cmd_import(args: argparse.Namespace) -> int:
    from training.learn.posts import import_posts, read_posts
    from training.learn.run import check_brand

    config = _config(args)
    check_brand(config, args.brand)
    parsed = read_posts(Path(args.file), Catalog.from_config(config))
    for problem in parsed.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not parsed.posts:
        print(f"error: {args.file}: no usable lines ({len(parsed.problems)} skipped)", file=sys.stderr)
        return EXIT_INVALID

    async def work(store: Store) -> Any:
        return await import_posts(store, args.brand, parsed.posts, "cli")

    outcome = asyncio.run(_with_store(config, work))
    skipped = f", skipped {len(parsed.problems)}" if parsed.problems else ""
    print(f"brand {args.brand}: added {outcome.added}, already there {outcome.already}{skipped}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from training.learn.report import text_table
    from training.learn.run import learn
    from training.trainer_config import load_train_config

    if not getattr(args, "brand", None):
        print("error: learn needs --brand NAME (a brand under `brands:`, or default)", file=sys.stderr)
        return EXIT_INVALID
    config = _config(args)
    train_config = load_train_config(args.train_config)
    catalog = Catalog.from_config(config)

    async def work(store: Store) -> Any:
        return await learn(
            config, store, catalog, train_config, args.brand, max_steps=args.max_steps, backend=args.backend
        )

    # the trainers print their progress to stdout; keep stdout for the summary (--json parses it)
    with contextlib.redirect_stdout(sys.stderr):
        summary = asyncio.run(_with_store(config, work))
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    elif summary.outcome == "too_little":
        print(f"error: {summary.reason}", file=sys.stderr)
    else:
        print(f"{summary.label}: {summary.outcome} (trained from {summary.parent})")
        print(summary.reason)
        print(text_table(summary.metrics))
        print(
            f"steps: SFT {summary.steps.get('sft', 0)}, DPO {summary.steps.get('dpo', 0)}; "
            f"seconds: train {summary.seconds.get('train')}, eval {summary.seconds.get('eval')}, "
            f"total {summary.seconds.get('total')}; adapter: {summary.path}"
        )
    return EXIT_INVALID if summary.outcome == "too_little" else 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from training.learn.run import rollback

    config = _config(args)

    async def work(store: Store) -> Any:
        return await rollback(store, config, args.brand)

    restored = asyncio.run(_with_store(config, work))
    now = restored.label if restored is not None else "the configured adapter (no learned version left)"
    print(f"brand {args.brand}: rolled back; {now} now serves")
    return 0


def _guarded(command: Any) -> Any:
    """TrainingError -> one line on stderr and exit 2 (the root CLI handles the bot's errors)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return int(command(args))
        except TrainingError as exc:
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_INVALID

    return run


def _run_arguments(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    # the `run` subcommand repeats the options; SUPPRESS keeps its absent ones from erasing the
    # parent's (`postpulse learn --brand acme run`)
    default: Any = argparse.SUPPRESS if sub else None
    parser.add_argument("--brand", default=default, help="a brand under `brands:` in the config, or default")
    parser.add_argument(
        "--max-steps",
        type=positive,
        default=default,
        help="bound each of SFT and DPO (default: learn.max_steps)",
    )
    parser.add_argument(
        "--json", action="store_true", default=default if sub else False, help="print the summary as JSON"
    )
    parser.add_argument(
        "--backend",
        choices=["auto", "cpu", "gpu"],
        default=default if sub else "auto",
        help="cpu: peft + TRL; gpu: unsloth; auto: gpu when there is one",
    )
    parser.add_argument(
        "--train-config",
        default=default if sub else TRAIN_CONFIG,
        help="training YAML (default: %(default)s)",
    )
    parser.add_argument("--config", default=default, help="app YAML (default: configs/default.yaml)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`postpulse brand import`, `postpulse learn [run]`, `postpulse learn rollback`."""
    brand = subparsers.add_parser("brand", help="a brand's data: import its past posts")
    brand_sub = brand.add_subparsers(dest="brand_command", required=True)
    imp = brand_sub.add_parser(
        "import", help="store past posts (CSV or JSONL) as the brand's approved examples"
    )
    imp.add_argument("--brand", required=True, help="a brand under `brands:` in the config, or default")
    imp.add_argument("file", help="CSV (header row) or JSONL: text, brief, platform, tone, date, engagement")
    imp.add_argument("--config", help="app YAML (default: configs/default.yaml)")
    imp.set_defaults(func=_guarded(cmd_import))

    learn = subparsers.add_parser("learn", help="train, judge and promote a brand's next adapter version")
    _run_arguments(learn, sub=False)
    learn.set_defaults(func=_guarded(cmd_run))
    learn_sub = learn.add_subparsers(dest="learn_command")
    run = learn_sub.add_parser("run", help="one run of the loop (the default)")
    _run_arguments(run, sub=True)
    run.set_defaults(func=_guarded(cmd_run))
    back = learn_sub.add_parser("rollback", help="reject the serving version and restore the previous one")
    back.add_argument("--brand", required=True, help="a brand under `brands:` in the config, or default")
    back.add_argument("--config", help="app YAML (default: configs/default.yaml)")
    back.set_defaults(func=_guarded(cmd_rollback))
    add_status(learn_sub)  # adapters.learn_status: A/B win rates per version and the decision
