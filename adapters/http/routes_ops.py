"""Operational routes: liveness, readiness, the catalogue and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from adapters.http.openapi import build_spec
from adapters.http.state import CATALOG, CONFIG, GUARD, SERVICE


async def health(request: web.Request) -> web.Response:
    """Liveness, naming the backend and its state: a loading model is alive (200); a dead engine, a
    failed load, a restarting vLLM child or an unreachable model server is not (503).

    With the hand-off (engine.vllm.handoff) `backend` is the engine serving now and `handoff` says
    where the move stands: vLLM still starting or restarting while transformers serves is `ready`
    (200), not an error."""
    service = request.app[SERVICE]
    return web.json_response(service.health(), status=200 if service.status in ("ready", "loading") else 503)


async def ready(request: web.Request) -> web.Response:
    """Readiness: 200 once an engine serves and has been warmed up by a draft through the real path
    (bot.service.warmed), so the first draft is no slower than the tenth. With the hand-off that is the
    transformers engine within seconds; `backend` names the engine serving and `handoff` the phase
    (`warming`: vLLM is starting and takes over once warm; `target`: vLLM serves)."""
    service = request.app[SERVICE]
    model = service.engine.model_name if service.engine is not None else None
    ok = service.status == "ready"
    body: dict[str, object] = {"ready": ok, "status": service.status, "model": model}
    if service.engine is not None:
        facts = service.engine.health()
        body["backend"] = facts.get("backend")
        handoff = facts.get("handoff")
        if isinstance(handoff, dict):
            body["handoff"] = handoff.get("phase")
            body["target"] = handoff.get("target")
    return web.json_response(body, status=200 if ok else 503)


async def catalog(request: web.Request) -> web.Response:
    cat = request.app[CATALOG]
    lim = request.app[CONFIG].engine
    return web.json_response(
        {
            "tones": [
                {"name": k, "description": t.description, "aliases": t.aliases} for k, t in cat.tones.items()
            ],
            "platforms": [
                {
                    "name": k,
                    "display_name": p.display_name,
                    "char_limit": p.char_limit,
                    "hashtags": {"min": p.hashtags.min, "max": p.hashtags.max},
                    "typical_words": list(p.typical_words),
                    "emoji": p.emoji,
                    "aliases": p.aliases,
                }
                for k, p in cat.platforms.items()
            ],
            "industries": [
                {"name": k, "audience": i.audience, "aliases": i.aliases} for k, i in cat.industries.items()
            ],
            "limits": {
                "max_length": lim.max_new_tokens_cap,
                "default_max_length": lim.default_max_new_tokens,
                "max_variants": lim.max_variants,
                "max_prompt_chars": lim.max_prompt_chars,
            },
        }
    )


async def openapi(request: web.Request) -> web.Response:
    app = request.app
    return web.json_response(build_spec(app[CONFIG], app[CATALOG], auth=app[GUARD].enabled))
