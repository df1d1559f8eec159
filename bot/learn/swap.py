"""How an adapter version's engine is started, per backend, while the brand's current one serves.

- transformers: a new in-process engine with the version's adapter (loaded off the event loop).
- vllm (managed child, merged adapters on CPU): a new child on the version's merged model, started
  while the old child keeps serving; the LiveEngine stops the old one once its requests finish.
  Why not the hand-off (transformers serving while one child restarts): the hand-off would write the
  drafts of the swap window with the *old* weights on another backend, and a failed start would leave
  the brand on neither; two children for the length of one start cost memory, not requests.
- openai (a GPU vLLM with runtime LoRA updating): the server loads the adapter by name
  (`/v1/load_lora_adapter`); the version's engine is a client asking for that name. Nothing restarts.

`adapter_path` on the server is the version's directory as the store records it: on a fleet, the
adapters directory must be the same path on the model servers (a shared volume).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.brandkit.kit import DEFAULT_BRAND
from bot.brands import brand_config
from bot.config import AppConfig
from bot.service import Loader, Warm, warmed
from engine.interface import Engine

log = logging.getLogger(__name__)

# (the version's app config, its served name; None: the configured adapter, already on the server)
# -> its start-up
VersionLoader = Callable[[AppConfig, str | None], Loader]


def served_name(brand: str, version: int) -> str:
    """The version's model name on a model server holding adapters by name: "acme-v3"."""
    return f"{brand}-v{version}"


def version_config(config: AppConfig, brand: str, path: str) -> AppConfig:
    """The app config as the version's engine sees it: the brand's, with the version's adapter."""
    base = config if brand == DEFAULT_BRAND else brand_config(config, brand)
    model = base.model.model_copy(update={"adapter": path})
    return base.model_copy(update={"model": model})


def version_loader(warm: Warm | None = None) -> VersionLoader:
    """The configured backend's start-up for one adapter version (see the module docstring)."""

    def loader(config: AppConfig, name: str | None) -> Callable[[], Awaitable[Engine]]:
        async def load() -> Engine:
            backend = config.engine.backend
            if backend == "openai":
                return await warmed(await _lora_by_name(config, name), warm)
            if backend == "vllm":
                from engine.backends.vllm import VllmEngine, VllmUnavailable

                try:
                    return await warmed(await VllmEngine(config.model, config.engine).start(), warm)
                except VllmUnavailable as exc:
                    if not config.engine.vllm.fallback:
                        raise
                    log.warning("vLLM unavailable for the new adapter; transformers serves it: %s", exc)
            from engine.backends.transformers.async_engine import start_engine

            return await warmed(await start_engine(None, config.engine, config.model), warm)

        return load

    return loader


async def _lora_by_name(config: AppConfig, name: str | None) -> Engine:
    """A client for `name`, loaded on the server first (None: the configured model, already there)."""
    from engine.backends.openai import OpenAIEngine

    engine = OpenAIEngine(config.engine.openai, config.engine, model=name)
    try:
        await engine.start_session()
        if name is not None and config.model.adapter is not None:
            await engine.load_lora_adapter(name, config.model.adapter)
        return await engine.start()
    except BaseException:
        await engine.shutdown()
        raise
