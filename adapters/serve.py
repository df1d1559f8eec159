"""`postpulse serve`: the HTTP sidecar plus every chat front door whose credentials are present.

All front doors share one event loop and one engine. The sidecar listens at once (so /health and
/ready answer while the model loads off the loop), and SIGTERM/SIGINT shut down gracefully: stop
accepting, give in-flight requests `--grace` seconds, cancel the rest, close the engine and stores.
adapters.runtime.build_runtime opens and closes all of it; this module reads the command line and the
environment, and waits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping

from adapters.runtime import build_runtime
from bot.config import AppConfig, load_config
from bot.learn.schedule import learn_command

log = logging.getLogger(__name__)


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
    """Handler for `postpulse serve`; returns the exit status. The one place it reads the environment."""
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("adapters").setLevel(logging.INFO)  # always say where we listen
    env = dict(os.environ)
    config = load_config(args.config, env)
    return asyncio.run(
        serve(config, env, host=args.host, port=args.port, grace_s=args.grace, config_path=args.config)
    )


async def serve(
    config: AppConfig,
    env: Mapping[str, str],
    *,
    host: str | None = None,
    port: int | None = None,
    grace_s: float = 30.0,
    stop: asyncio.Event | None = None,
    config_path: str | None = None,
) -> int:
    """Run until `stop` is set (or SIGTERM/SIGINT arrives); 1 if the model failed to load.
    `config_path`: the config file, handed to scheduled `postpulse learn` runs (learn.schedule)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    status = 0
    try:
        learn = learn_command(config_path)
        async with build_runtime(
            config, env, host=host, port=port, grace_s=grace_s, learn_command=learn
        ) as runtime:
            service = runtime.service
            loaded = asyncio.create_task(service.ready.wait())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({loaded, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if service.load_error is not None:
                log.error("stopping: the model could not be loaded (%s)", service.load_error)
                status = 1
            elif not stop.is_set():
                log.info("ready: model %s", service.engine.model_name if service.engine else "?")
                await stopping
            loaded.cancel()
            stopping.cancel()
            log.info("shutting down: no new connections; in-flight requests get %.0fs", grace_s)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("stopped")
    return status
