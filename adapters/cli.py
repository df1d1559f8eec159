"""`postpulse` command line: one entry point, subcommands registered by each front door.

Every expected error becomes one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

# Models come from the embedded GGUF or a local folder, never from the Hugging Face hub: without this,
# peft and transformers try a hub lookup (a DNS query) when they save or load an adapter. Set before
# any subcommand imports huggingface_hub, which reads it once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from adapters.errors import AdapterError, SetupError
from bot.errors import BotError
from engine.errors import ConfigError, EngineError, InvalidRequest

# (module, what it adds). A module that is absent (e.g. an optional front door) is skipped.
SUBCOMMAND_MODULES = (
    "adapters.generate",
    "adapters.chat",
    "adapters.serve",
    "adapters.discord.invite",
    "adapters.export",
    "training.cli",
    "training.feedback",
    "adapters.learn_cli",
)

EXIT_INVALID = 2  # the caller can fix it: bad input, a bad config (bot's or engine's), a front door's setup
EXIT_FAILED = 1
INVALID = (InvalidRequest, ConfigError, SetupError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postpulse",
        description="PostPulse: marketing copy in a chosen tone, for a chosen platform and industry.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INVALID
    try:
        return int(args.func(args))
    except InvalidRequest as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (EngineError, BotError, AdapterError) as exc:
        print(f"error: {' '.join(str(exc).split(chr(10)))}", file=sys.stderr)
        return EXIT_INVALID if isinstance(exc, INVALID) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
