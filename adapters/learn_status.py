"""`postpulse learn status --brand NAME`: the brand's adapter versions in their A/B test.

Win rates with a 95% confidence interval, and the decision (promote, keep testing, drop) by the test
bot.learn.stats names. `add_status(learn_subparsers)` adds it under `postpulse learn`; the operator's
view counts every team of the brand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.config import AppConfig, load_config
from bot.learn.stats import AbReport, brand_report, render
from bot.store import database_url, open_store


def add_status(learn_subparsers: argparse._SubParsersAction[Any]) -> None:
    p = learn_subparsers.add_parser(
        "status",
        help="a brand's A/B test: win rates per adapter version and the decision",
        description="Win rate (drafts approved, picked or rated up, never rated down) of the serving and "
        "the testing adapter version, with 95%% Wilson intervals, and the decision by a two-proportion "
        "z-test (promote, keep testing, drop).",
    )
    p.add_argument("--brand", required=True, help="a configured brand, or 'default'")
    p.add_argument("--config", help="config YAML (default configs/default.yaml)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    report = asyncio.run(_report(config, args.brand))
    print(json.dumps(report.to_json(), default=str, indent=2) if args.json else render(report))
    return 0


async def _report(config: AppConfig, brand: str) -> AbReport:
    store = await open_store(database_url(config.store.url, config.store.path))
    try:
        return await brand_report(store, brand, list(config.brands))
    finally:
        await store.close()
