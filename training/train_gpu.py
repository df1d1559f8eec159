"""GPU path: unsloth's FastLanguageModel (4-bit base), LoRA on all seven projections, gradient
checkpointing "unsloth"; the SFTTrainer arguments are the spec's table (trainer_config).

unsloth cannot even import without CUDA, so the import is guarded and the wiring lives in pure
kwargs builders that tests check without a GPU.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from engine.backends.transformers.loading import resolve_source
from engine.config import ModelConfig
from training.errors import BackendUnavailable
from training.trainer_config import TrainConfig, unsloth_model_kwargs, unsloth_peft_kwargs


def gpu_available() -> bool:
    """CUDA present and unsloth installed (the `gpu` extra)."""
    import torch

    return torch.cuda.is_available() and importlib.util.find_spec("unsloth") is not None


def import_unsloth() -> Any:
    try:
        import unsloth  # noqa: F401  (must be imported before trl/transformers to patch them)
        from unsloth import FastLanguageModel
    except Exception as exc:  # NotImplementedError without a GPU, ImportError without the extra
        raise BackendUnavailable(
            f"the GPU path needs CUDA and unsloth (pip install '.[gpu]'): {type(exc).__name__}: {exc}"
        ) from exc
    return FastLanguageModel


def gpu_choices() -> dict[str, Any]:
    from unsloth import is_bfloat16_supported

    bf16 = bool(is_bfloat16_supported())
    return {"bf16": bf16, "fp16": not bf16, "optim": None, "gradient_checkpointing": False, "differences": []}


def load_gpu_model(cfg: TrainConfig) -> tuple[Any, Any, str, str]:
    """(peft model, tokenizer, base display name, base dir): 4-bit base + LoRA via unsloth."""
    fast = import_unsloth()
    source, name = resolve_source(ModelConfig(source=cfg.base_model, cache_dir=cfg.cache_dir))
    model, tokenizer = fast.from_pretrained(**unsloth_model_kwargs(cfg, str(source)))
    if cfg.init_adapter:  # continue an existing adapter (the learning loop trains from the serving one)
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(cfg.path(cfg.init_adapter)), is_trainable=True)
    else:
        model = fast.get_peft_model(model, **unsloth_peft_kwargs(cfg))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer, name, str(source)
