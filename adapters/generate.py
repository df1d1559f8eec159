"""`postpulse generate`: one brief from the command line, drafts printed as text or the HTTP API's JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.brief import make_brief
from bot.catalog import Catalog
from bot.config import load_config
from bot.drafts import Draft, DraftDelta, DraftService
from bot.render import draft_response
from bot.service import default_loader


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("generate", help="write a post from a brief and print it")
    p.add_argument("prompt", help='what the post is about, e.g. "Launch of our new phone"')
    p.add_argument("--tone", default="professional")
    p.add_argument("--platform", default="instagram")
    p.add_argument("--industry")
    p.add_argument("--audience")
    p.add_argument("--brand-voice")
    p.add_argument("--call-to-action")
    p.add_argument("--no-hashtags", action="store_true")
    p.add_argument("--variants", type=int, default=1)
    p.add_argument("--max-length", type=int, help="cap on generated tokens (default 150)")
    p.add_argument("--seed", type=int)
    p.add_argument("--temperature", type=float)
    p.add_argument("--config", help="config YAML (default configs/default.yaml)")
    p.add_argument("--json", action="store_true", help="print the HTTP API's JSON response")
    p.add_argument("--stream", action="store_true", help="print text as it is written")
    p.set_defaults(func=run_generate)


def _raw_brief(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "prompt": args.prompt,
        "tone": args.tone,
        "platform": args.platform,
        "industry": args.industry,
        "audience": args.audience,
        "brand_voice": args.brand_voice,
        "call_to_action": args.call_to_action,
        "hashtags": not args.no_hashtags,
        "variants": args.variants,
        "max_length": args.max_length,
        "seed": args.seed,
        "temperature": args.temperature,
    }


async def _generate(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    catalog = Catalog.from_config(config)
    # Validate before loading the model (DraftService.brief does the same): bad input fails fast.
    brief = make_brief(_raw_brief(args), catalog, config.engine)
    # One engine for one draft: no store, no front doors, so not the server's runtime.
    engine = await default_loader(config)()
    try:
        drafts = DraftService.build(engine, catalog, config)
        draft: Draft | None = None
        async for event in drafts.stream(brief):
            if isinstance(event, DraftDelta):
                if args.stream and not args.json and event.index == 0:
                    print(event.text, end="", flush=True)
            else:
                draft = event
    finally:
        await engine.shutdown()
    assert draft is not None
    if args.json:
        print(json.dumps(draft_response(draft, catalog), ensure_ascii=False, indent=2))
        return 0
    if args.stream:
        print("\n\n--- final (post-processed) ---", file=sys.stderr)
    for i, post in enumerate(draft.variants, 1):
        if len(draft.variants) > 1:
            print(f"--- variant {i} ---")
        print(post.text)
    limit = catalog.platforms[brief.platform].char_limit
    print(
        f"\n[{draft.generation_time} · {draft.post.word_count} words · "
        f"{draft.post.character_count}/{limit} chars · {draft.completion_tokens} tokens · {draft.model}]",
        file=sys.stderr,
    )
    return 0


def run_generate(args: argparse.Namespace) -> int:
    return asyncio.run(_generate(args))
