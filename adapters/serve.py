"""`postpulse serve`: the HTTP sidecar plus every chat front door whose credentials are present.

All front doors share one event loop and one engine. The sidecar listens at once (so /health and
/ready answer while the model loads off the loop), and SIGTERM/SIGINT shut down gracefully: stop
accepting, give in-flight requests `--grace` seconds, cancel the rest, close the engine and stores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

import adapters.discord as discord_door
import adapters.slack as slack
from adapters.http import create_app, make_runner, start_site
from bot.config import AppConfig, load_config
from bot.service import BotService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontDoor:
    """A chat adapter `serve` starts when its credentials are in the environment.

    `start(service, config, env)` runs on the shared loop; `service.get()` gives the DraftService once
    the engine is up (EngineNotReady before). It returns an async `stop`.
    `mount(app, service, config, env)`, when given, runs instead of `start`, before the sidecar
    listens: it adds the adapter's routes to the sidecar (Slack's /slack/events; the router freezes
    once the runner is set up) and ties the adapter's life to the app's (a cleanup_ctx).
    """

    name: str
    env_vars: tuple[str, ...]
    start: Callable[[BotService, AppConfig, Mapping[str, str]], Awaitable[Callable[[], Awaitable[None]]]]
    mount: Callable[[web.Application, BotService, AppConfig, Mapping[str, str]], None] | None = None


# The hook for chat adapters: each front door appends itself here.
FRONT_DOORS: list[FrontDoor] = []
FRONT_DOORS.append(FrontDoor("slack", slack.REQUIRED_ENV, slack.start, mount=slack.mount))
FRONT_DOORS.append(FrontDoor("discord", discord_door.ENV_VARS, discord_door.start))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP API (and any chat adapters whose credentials are set)",
        description="Serve /generate-text, the OpenAI-compatible API, /health, /ready and /metrics.",
    )
    parser.add_argument("--host", help="address to listen on (default: http.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: http.port, 8080)")
    parser.add_argument("--config", help="YAML config file (default: configs/default.yaml)")
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds in-flight requests get at shutdown (default 30)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler for `postpulse serve`; returns the exit status."""
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("adapters").setLevel(logging.INFO)  # always say where we listen
    config = load_config(args.config)
    return asyncio.run(serve(config, host=args.host, port=args.port, grace_s=args.grace))


async def serve(
    config: AppConfig,
    *,
    host: str | None = None,
    port: int | None = None,
    grace_s: float = 30.0,
    stop: asyncio.Event | None = None,
) -> int:
    """Run until `stop` is set (or SIGTERM/SIGINT arrives); 1 if the model failed to load."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    service = BotService(config)
    await service.open_store()  # migrations run here; a bad DATABASE_URL stops start-up with its reason
    service.start_loading()
    app = create_app(config, service=service)
    for door in FRONT_DOORS:
        if door.mount is not None and all(os.environ.get(var) for var in door.env_vars):
            door.mount(app, service, config, os.environ)
            log.info("%s adapter mounted on the sidecar", door.name)
    runner = make_runner(app, grace_s=grace_s)
    await runner.setup()
    stops: list[Callable[[], Awaitable[None]]] = []
    status = 0
    try:
        _, bound = await start_site(
            runner, host or config.http.host, port if port is not None else config.http.port
        )
        log.info(
            "PostPulse HTTP API listening on http://%s:%d (model loading)", host or config.http.host, bound
        )
        for door in FRONT_DOORS:
            if door.mount is not None and all(os.environ.get(var) for var in door.env_vars):
                continue  # mounted above; it stops with the sidecar
            if all(os.environ.get(var) for var in door.env_vars):
                stops.append(await door.start(service, config, os.environ))
                log.info("%s adapter started", door.name)
            else:
                log.info("%s adapter off: set %s to start it", door.name, ", ".join(door.env_vars))
        holder = service
        loaded = asyncio.create_task(holder.ready.wait())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({loaded, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if holder.load_error is not None:
            log.error("stopping: the model could not be loaded (%s)", holder.load_error)
            status = 1
        elif not stop.is_set():
            log.info("ready: model %s", holder.engine.model_name if holder.engine else "?")
            await stopping
        loaded.cancel()
        stopping.cancel()
        log.info("shutting down: no new connections; in-flight requests get %.0fs", grace_s)
    finally:
        for stop_door in reversed(stops):
            with contextlib.suppress(Exception):
                await stop_door()
        await runner.cleanup()
        await service.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("stopped")
    return status
