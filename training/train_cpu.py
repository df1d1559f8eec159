"""CPU path (and any machine without unsloth): transformers + peft LoRA, trained by TRL's SFTTrainer.

Differences from the spec's GPU table, and why:
- no 4-bit base: bitsandbytes' 4-bit training kernels need CUDA; the 135M base fits in bf16 anyway;
- precision: bf16 where the CPU has bf16 units, else fp32 (CPU fp16 autocast is slow and lossy);
- gradient checkpointing "unsloth" is unsloth-only; off here (short sequences, memory is ample, and
  recomputation would cost about a third more time per step);
- optimizer: adamw_8bit where bitsandbytes imports (0.50 has CPU kernels), else `cpu.fallback_optim`.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from engine.backends.transformers.loading import cpu_bf16_supported, resolve_source
from engine.config import ModelConfig
from training.trainer_config import TrainConfig, lora_kwargs, resolve_precision

log = logging.getLogger(__name__)


def eight_bit_adam_available() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # any import-time failure means no 8-bit optimizer
        return False
    return True


def cpu_choices(cfg: TrainConfig) -> dict[str, Any]:
    """Precision, optimizer and checkpointing for this CPU, with the reason for each difference."""
    if cfg.precision == "auto":
        bf16, fp16 = (True, False) if cpu_bf16_supported() else (False, False)
    else:
        bf16, fp16 = resolve_precision(cfg, bf16_supported=True)
    optim = cfg.hyper.optim
    differences = [
        "base weights not 4-bit (bitsandbytes 4-bit training needs CUDA)",
        'gradient checkpointing off ("unsloth" checkpointing exists only in unsloth)',
    ]
    if optim.endswith("8bit") and not eight_bit_adam_available():
        optim = cfg.cpu.fallback_optim
        differences.append(f"optimizer {optim}: bitsandbytes unavailable for 8-bit AdamW")
    if not bf16:
        differences.append("fp32: this CPU has no bf16 units and fp16 autocast on CPU is not worth it")
    return {
        "bf16": bf16,
        "fp16": fp16,
        "optim": optim,
        "gradient_checkpointing": cfg.cpu.gradient_checkpointing,
        "differences": differences,
    }


def load_cpu_model(cfg: TrainConfig, bf16: bool) -> tuple[Any, Any, str, str]:
    """(peft model, tokenizer, base display name, base dir) from the converted safetensors cache."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if cfg.cpu.threads:
        torch.set_num_threads(cfg.cpu.threads)
    source, name = resolve_source(ModelConfig(source=cfg.base_model, cache_dir=cfg.cache_dir))
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    model.config.use_cache = False
    # peft keeps the LoRA weights in fp32 (autocast_adapter_dtype) so the optimizer sees full precision.
    if cfg.init_adapter:
        from peft import PeftModel

        log.info("LoRA initialised from %s", cfg.init_adapter)
        model = PeftModel.from_pretrained(model, str(cfg.path(cfg.init_adapter)), is_trainable=True)
        return model, tokenizer, name, str(source)
    model = get_peft_model(model, LoraConfig(**lora_kwargs(cfg)))
    return model, tokenizer, name, str(source)
