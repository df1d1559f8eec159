"""`postpulse export merged`: base model + LoRA adapter written out as one checkpoint.

Any server that cannot apply a LoRA cheaply (vLLM on CPU, llama.cpp after conversion) can serve the
result; the managed vLLM backend makes the same export itself, cached by the adapter's hash.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import load_config


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = subparsers.add_parser("export", help="write models in other forms")
    kinds = export.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    merged = kinds.add_parser(
        "merged",
        help="base model + LoRA adapter as one safetensors checkpoint",
        description="Merge a PEFT LoRA adapter into its base model and save both as one model folder.",
    )
    merged.add_argument("--adapter", help="adapter directory (default: model.adapter in the config)")
    merged.add_argument("--out", help="output folder (default: the model cache, keyed by the adapter's hash)")
    merged.add_argument("--config", help="YAML config naming the base model (default: configs/default.yaml)")
    merged.set_defaults(func=run_merged)


def run_merged(args: argparse.Namespace) -> int:
    from engine.backends.merged import export_merged

    model = load_config(args.config).model
    if args.adapter:
        model = model.model_copy(update={"adapter": str(Path(args.adapter).resolve())})
    out = export_merged(model, Path(args.out).resolve() if args.out else None)
    print(f"merged model: {out}")
    return 0
