"""GPU smoke test of the unsloth path, no hub needed: a random-init small Llama (hidden 256,
4 layers) with the embedded model's tokenizer, 5 SFT steps with the spec's hyper-parameters on a few
starter records, losses printed.

Run on a CUDA box with the gpu extra installed:
    python -m training.gpu_smoke [--tokenizer DIR] [--steps 5] [--out /tmp/pp-gpu-smoke]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import unsloth  # noqa: F401  (first: it patches transformers and trl)
from unsloth import FastLanguageModel, is_bfloat16_supported


def build_tiny_model(tokenizer_dir: str, out: Path) -> Path:
    """Save a random-init LlamaConfig model + the tokenizer as a local HF directory."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=256,
        intermediate_size=768,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokenizer", help="tokenizer dir (default: the converted embedded model)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--out", default="/tmp/pp-gpu-smoke")
    args = parser.parse_args(argv)

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from bot.catalog import Catalog
    from bot.config import load_config
    from engine.backends.transformers.loading import resolve_source
    from engine.config import ModelConfig
    from training.dataset import expand, load_files, to_prompt_completion
    from training.trainer_config import (
        load_train_config,
        resolve_precision,
        sft_config_kwargs,
        unsloth_model_kwargs,
        unsloth_peft_kwargs,
    )

    out = Path(args.out)
    tokenizer_dir = args.tokenizer or str(resolve_source(ModelConfig(source="embedded"))[0])
    model_dir = build_tiny_model(tokenizer_dir, out / "tiny-llama")
    cfg = load_train_config(
        Path(__file__).resolve().parent.parent / "configs" / "training.yaml",
        {
            "run_dir": str(out / "run"),
            "max_seq_length": 512,
            "hyper.max_steps": args.steps,
            "save_steps": 1000,
        },
    )
    catalog = Catalog.from_config(load_config(env={}))
    records = [i.record for i in load_files(expand(cfg.data.train), catalog)][:64]

    model, tokenizer = FastLanguageModel.from_pretrained(**unsloth_model_kwargs(cfg, str(model_dir)))
    model = FastLanguageModel.get_peft_model(model, **unsloth_peft_kwargs(cfg))
    bf16, fp16 = resolve_precision(cfg, bf16_supported=bool(is_bfloat16_supported()))
    kwargs = sft_config_kwargs(cfg, bf16=bf16, fp16=fp16)
    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(**kwargs),
        processing_class=tokenizer,
        train_dataset=Dataset.from_list([to_prompt_completion(r, catalog) for r in records]),
    )
    result = trainer.train()
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    print(f"unsloth SFT: {result.global_step} steps, bf16={bf16} fp16={fp16}, optim={kwargs['optim']}")
    print("losses:", " ".join(f"{x:.4f}" for x in losses))
    return 0 if len(losses) == args.steps and all(x == x for x in losses) else 1


if __name__ == "__main__":
    sys.exit(main())
