"""CUDA check of the engine (same code path as CPU) for a lent GPU box with no hub access.

Builds the model from a config directory (random weights when no weights are there: token
*values* are meaningless but shapes, batching, cancellation and speed are real), then checks
no cross-talk under concurrency, cancellation, and throughput against HF `generate`.

    python -m bench.gpu_engine --model-dir DIR [--dtype bfloat16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import torch

from engine.backends.transformers.async_engine import AsyncEngine
from engine.backends.transformers.loading import LoadedModel
from engine.config import EngineConfig
from engine.types import GenerationRequest, SamplingParams


def load(model_dir: Path, dtype: torch.dtype) -> LoadedModel:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if any(model_dir.glob("*.safetensors")):
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
    else:
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir), dtype=dtype)
    model.to("cuda").eval()
    return LoadedModel(model, tokenizer, model_dir.name, torch.device("cuda"), dtype, None, 0.0, "bench")


def requests(n: int, tokens: int) -> list[GenerationRequest]:
    topics = ["coffee", "phones", "shoes", "banking", "travel", "yoga", "cars", "books"]
    return [
        GenerationRequest(
            messages=[
                {"role": "system", "content": "You write marketing posts."},
                {"role": "user", "content": f"Post #{i} about {topics[i % len(topics)]} for brand {i}."},
            ],
            params=SamplingParams(max_new_tokens=tokens, ignore_eos=True),
        )
        for i in range(n)
    ]


async def check_and_time(loaded: LoadedModel, tokens: int) -> dict[str, Any]:
    engine = AsyncEngine(loaded, EngineConfig(max_batch_size=128, max_queue=512))
    out: dict[str, Any] = {}
    reqs = requests(20, 20)
    solo = [(await engine.generate(r)).outputs[0].token_ids for r in reqs]
    together = await asyncio.gather(*(engine.generate(r) for r in reqs))
    out["no_crosstalk_20"] = all(s == t.outputs[0].token_ids for s, t in zip(solo, together, strict=True))

    long = requests(3, 400)
    tasks = [asyncio.create_task(engine.generate(r)) for r in long]
    await asyncio.sleep(0.3)
    tasks[1].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    out["cancel_leaves_others"] = isinstance(done[1], asyncio.CancelledError) and all(
        len(d.outputs[0].token_ids) == 400
        for d in (done[0], done[2])  # type: ignore[union-attr]
    )
    await asyncio.sleep(0.5)  # the worker drops the cancelled row at its next step
    out["slots_free_after"] = len(engine.scheduler.running) == 0

    for conc in (1, 8, 32, 64):
        batch = requests(conc, tokens)
        await engine.generate(batch[0])
        start = time.perf_counter()
        results = await asyncio.gather(*(engine.generate(r) for r in batch))
        elapsed = time.perf_counter() - start
        out[f"engine_c{conc}_tok_s"] = round(sum(r.completion_tokens for r in results) / elapsed, 1)
        out[f"engine_c{conc}_ttft_p50_s"] = round(sorted(r.ttft_s for r in results)[conc // 2], 4)
    await engine.shutdown()
    return out


def hf_generate_tok_s(loaded: LoadedModel, batch: int, tokens: int) -> float:
    tok = loaded.tokenizer
    tok.padding_side = "left"
    texts = [
        tok.apply_chat_template(list(r.messages or []), tokenize=False, add_generation_prompt=True)
        for r in requests(batch, tokens)
    ]
    enc = tok(texts, return_tensors="pt", padding=True).to("cuda")
    kwargs = {
        "max_new_tokens": tokens,
        "min_new_tokens": tokens,
        "do_sample": False,
        "pad_token_id": tok.pad_token_id,
    }
    with torch.inference_mode():
        loaded.model.generate(**enc, **{**kwargs, "max_new_tokens": 4, "min_new_tokens": 4})
        torch.cuda.synchronize()
        start = time.perf_counter()
        loaded.model.generate(**enc, **kwargs)
        torch.cuda.synchronize()
    return round(batch * tokens / (time.perf_counter() - start), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    loaded = load(args.model_dir, getattr(torch, args.dtype))
    result = {"device": torch.cuda.get_device_name(), "dtype": args.dtype, "tokens": args.tokens}
    result.update(asyncio.run(check_and_time(loaded, args.tokens)))
    for batch in (1, 32, 64):
        result[f"hf_generate_b{batch}_tok_s"] = hf_generate_tok_s(loaded, batch, args.tokens)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
