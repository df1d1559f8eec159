"""`postpulse chat`: a terminal REPL over the same Assistant and drafts store as Slack and Discord.

A line is either the slash-command grammar (`tone:casual platform:x our spring sale`, `help`,
`tones`, `defaults …`) or a remix of the last draft (`shorter`, `longer`, `again`, `tone:witty`,
`platform:linkedin`, `use 2`, `rate up`, `rate down`). Everything PostPulse decides happens in the
Assistant; this module only reads lines and prints.

Why a loop thread: `input()` must own the main thread for readline (history, line editing) and
Ctrl-C, while the model loads and drafts stream on an asyncio loop; so the loop runs in a thread
and each line is one coroutine submitted to it.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import difflib
import getpass
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TextIO, TypeVar

import platformdirs

from adapters.runtime import build_runtime
from bot import grammar
from bot.assistant import DraftGroup, DraftJob, Info, Origin, RatingValue, RemixAction, StoredDraft
from bot.config import load_config
from bot.drafts import DraftDelta
from bot.errors import InvalidOption
from bot.messages import user_message
from bot.postprocess import HASHTAG
from bot.records import ROLES
from bot.service import BotService
from engine.errors import EngineDead, EngineError, EngineNotReady

log = logging.getLogger(__name__)

T = TypeVar("T")

PROMPT = "postpulse> "
REMIX_WORDS: dict[str, RemixAction] = {"shorter": "shorter", "longer": "longer", "again": "regenerate"}
EXIT_WORDS = ("exit", "quit")
# What a single mistyped word is compared with ("shoter" -> shorter); the grammar's own commands too.
COMMAND_WORDS = (*REMIX_WORDS, "use", "rate", "help", *EXIT_WORDS, *grammar.COMMANDS)
TYPO_CUTOFF = 0.75
HISTORY_LINES = 1000

CONSOLE_HELP = """*Write a brief:* [key:value …] what the post is about
  e.g. `tone:casual platform:x our spring sale`
*Then change the last draft:*
- `shorter`, `longer`, `again` — rewrite it shorter, longer, or afresh
- `tone:witty`, `platform:linkedin` — the same brief in another tone or for another platform
- `use 2` — pick variant 2 (when you asked for `variants:2` or more)
- `rate up`, `rate down` — 👍 / 👎 the variant in use (stored with every other rating)
*Also:* `tones`, `platforms`, `industries`, `defaults …`, `help`, `exit` (or Ctrl-D). Up/down arrows
recall earlier lines; Ctrl-C stops a draft being written."""


class Terminal:
    """Where the REPL writes; ANSI styles only on a terminal that wants them (NO_COLOR)."""

    def __init__(self, out: TextIO, env: Mapping[str, str]) -> None:
        self.out = out
        self.color = out.isatty() and not env.get("NO_COLOR") and env.get("TERM") != "dumb"

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def error(self, text: str) -> None:
        self.line(self.style(text, "31"))

    def markdown(self, text: str) -> None:
        """The Assistant's light markdown (`*bold*`, backticks), written for chat apps; the slash
        command's name means nothing here, so it is dropped."""
        text = text.replace("/postpulse ", "")
        text = re.sub(r"\*([^*\n]+)\*", lambda m: self.style(m.group(1), "1"), text)
        text = re.sub(r"`([^`\n]+)`", lambda m: self.style(m.group(1), "36"), text)
        self.line(text)


class ChatSession:
    """One person at one terminal: the last draft, and which of its variants is in use."""

    def __init__(self, service: BotService, terminal: Terminal, origin: Origin) -> None:
        self.service = service
        self.term = terminal
        self.origin = origin
        self.draft: StoredDraft | None = None
        self.variant = 0

    async def handle_line(self, line: str) -> bool:
        """Run one line; False when the person wants to leave."""
        text = line.strip()
        if not text:
            return True
        word, _, rest = text.partition(" ")
        word = word.lower()
        try:
            if word in EXIT_WORDS and not rest:
                return False
            if word == "help" and not rest:
                await self._help()
            elif word in REMIX_WORDS and not rest:
                await self._remix(REMIX_WORDS[word])
            # "rate up" / "use 2" are one word after the command; "use our app to save" is a brief.
            elif word == "rate" and len(rest.split()) <= 1:
                await self._rate(rest.strip().lower())
            elif word == "use" and len(rest.split()) <= 1:
                await self._use(rest.strip())
            elif not await self._remix_option(text) and not self._typo(word, rest):
                await self._assistant_line(text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every error becomes one line in plain words, never a traceback
            if not isinstance(exc, InvalidOption):
                log.info("console: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
            self.term.error(self._message(exc))
        return True

    def _message(self, exc: Exception) -> str:
        """The person at this terminal runs the server too: a failed model load says why (those
        messages are written to say how to fix it), where a chat app would say "ask an admin"."""
        failed = self.service.load_error
        if isinstance(exc, EngineDead) and isinstance(failed, EngineError):
            return f"the model could not be loaded: {failed}"
        return user_message(exc)

    # lines -------------------------------------------------------------------------------------

    async def _help(self) -> None:
        self.term.markdown(CONSOLE_HELP)
        reply = await self.service.assistant.handle(self.origin, "help")
        if isinstance(reply, Info):
            options = reply.text.split("*Options*", 1)
            if len(options) == 2:
                self.term.markdown("\n*Options*" + options[1])

    def _typo(self, word: str, rest: str) -> bool:
        """A single word that is nearly a command: suggest it rather than draft a post about it."""
        if rest or word in COMMAND_WORDS:
            return False
        close = difflib.get_close_matches(word, COMMAND_WORDS, n=1, cutoff=TYPO_CUTOFF)
        if not close:
            return False
        self.term.error(f"unknown command '{word}' — did you mean {close[0]}?")
        self.term.line("(To draft a post, write a brief of a few words; `help` lists the commands.)")
        return True

    async def _remix_option(self, text: str) -> bool:
        """A line that is only `tone:NAME` or `platform:NAME` changes the last draft."""
        max_variants = self.service.config.engine.max_variants
        options, prompt = grammar.extract_options(text, self.service.catalog, max_variants)
        if prompt or not options or not set(options) <= {"tone", "platform"}:
            return False
        if len(options) > 1:
            self.term.error("one change at a time: `tone:NAME` or `platform:NAME`")
            return True
        key, value = next(iter(options.items()))
        if self.draft is None:
            self.term.error(f"no draft to change yet — write a brief first, e.g. {key}:{value} spring sale")
            return True
        await self._remix("tone" if key == "tone" else "platform", str(value))
        return True

    async def _assistant_line(self, text: str) -> None:
        reply = await self._when_ready(lambda: self.service.assistant.handle(self.origin, text))
        if isinstance(reply, Info):
            self.term.markdown(reply.text)
        elif isinstance(reply, DraftGroup):  # one draft per platform, in the order asked
            try:
                for job in reply.jobs:
                    await self._stream(job)
            finally:
                await reply.aclose()
        else:
            await self._stream(reply)

    async def _remix(self, action: RemixAction, value: str | None = None) -> None:
        if self.draft is None:
            self.term.error("no draft to change yet — write a brief first, e.g. tone:casual our spring sale")
            return
        draft_id = self.draft.id
        assistant = self.service.assistant
        job = await self._when_ready(lambda: assistant.remix(self.origin, draft_id, action, value))
        await self._stream(job)

    async def _rate(self, value: str) -> None:
        if value not in ("up", "down"):
            close = difflib.get_close_matches(value, ("up", "down"), n=1, cutoff=0.5)
            hint = f" — did you mean rate {close[0]}?" if close else ""
            self.term.error(f"rate takes up or down (got '{value}'){hint}")
            return
        if self.draft is None:
            self.term.error("no draft to rate yet — write a brief first")
            return
        rating: RatingValue = "up" if value == "up" else "down"
        self.draft = await self.service.assistant.rate(self.origin, self.draft.id, self.variant, rating)
        thumb = "👍" if rating == "up" else "👎"
        self.term.line(f"{thumb} saved for variant {self.variant + 1} of draft {self.draft.id}.")

    async def _use(self, value: str) -> None:
        if self.draft is None:
            self.term.error("no draft yet — write a brief first (variants:2 gives two to pick from)")
            return
        count = len(self.draft.variants)
        if not value.isdigit() or not 1 <= int(value) <= count:
            self.term.error(f"use takes a variant number from 1 to {count} (got '{value}')")
            return
        self.variant = int(value) - 1
        self.draft = await self.service.assistant.choose(self.origin, self.draft.id, self.variant)
        self.term.line(f"Using variant {self.variant + 1}:")
        self._show_variant(self.draft, self.variant)

    # drafts ------------------------------------------------------------------------------------

    async def _when_ready(self, call: Callable[[], Awaitable[T]]) -> T:
        """In a terminal a brief typed while the model loads waits for it (a chat app would answer
        "not ready yet" instead); help, lists and defaults never need the model."""
        try:
            return await call()
        except EngineNotReady:
            if self.service.status != "loading":
                raise
        self.term.line(self.term.style("(the model is still loading — one moment…)", "2"))
        await self.service.ready.wait()
        return await call()

    async def _stream(self, job: DraftJob) -> None:
        brief = job.brief
        platform = self.service.catalog.platforms[brief.platform].display_name
        what = {"shorter": "shorter ", "longer": "longer ", "regenerate": "new "}.get(job.action or "", "")
        self.term.line(self.term.style(f"Drafting a {what}{brief.tone} {platform} post…", "2"))
        stored: StoredDraft | None = None
        shown = ""  # the first variant's raw text so far; whitespace is written only once text follows it
        try:
            async for event in job:
                if isinstance(event, DraftDelta):
                    if event.index == 0:
                        before = len(shown.rstrip())
                        shown = (shown + event.text).lstrip()
                        self.term.write(self.term.style(shown.rstrip()[before:], "2"))
                else:
                    stored = event
        except asyncio.CancelledError:
            self.term.line("\n(stopped)")
            raise
        finally:
            await job.aclose()
        self.term.line("\n")
        if stored is None:
            return
        self.draft = stored
        self.variant = 0
        for index in range(len(stored.variants)):
            self._show_variant(stored, index)
        use = " · use N" if len(stored.variants) > 1 else ""
        hint = f"Next: shorter · longer · again · tone:NAME · platform:NAME{use} · rate up|down"
        self.term.line(self.term.style(hint, "2"))

    def _show_variant(self, draft: StoredDraft, index: int) -> None:
        post = draft.variants[index]
        platform = self.service.catalog.platforms[draft.brief.platform]
        label = f"Variant {index + 1} of {len(draft.variants)}" if len(draft.variants) > 1 else "Draft"
        self.term.line(self.term.style(f"── {label} · {platform.display_name} · {draft.brief.tone} ──", "1"))
        self.term.line(post.text)
        tags = len(HASHTAG.findall(post.text))
        meter = f"{post.character_count} / {draft.platform_limit} characters"
        if post.character_count > draft.platform_limit:
            meter = self.term.style(meter + " — over the limit", "31")
        plural = "" if tags == 1 else "s"
        details = f"{meter} · {tags} hashtag{plural} · {draft.generation_time} · draft {draft.id}"
        self.term.line(self.term.style(details, "2"))
        self.term.line()


class LoopThread:
    """An asyncio loop in a daemon thread; `run` submits a coroutine and waits, and Ctrl-C while it
    waits cancels that coroutine (so a draft being written stops) instead of ending the REPL."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="postpulse-chat-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            with contextlib.suppress(concurrent.futures.CancelledError, concurrent.futures.TimeoutError):
                future.result(timeout=10)
            raise

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def _readline(history: Path | None) -> Any:
    """GNU readline (history, line editing) when the platform has it; None otherwise."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: input() still works, without history
        return None
    readline.set_history_length(HISTORY_LINES)
    if history is not None and history.exists():
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
    return readline


def default_history() -> Path:
    return Path(platformdirs.user_state_dir("postpulse")) / "chat_history"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "chat",
        help="an interactive terminal session: briefs in the slash-command grammar, then remixes",
        description="Type `tone:casual platform:x our spring sale`, then shorter/longer/again, "
        "tone:NAME, platform:NAME, use N, rate up|down. `help` lists everything; exit or Ctrl-D leaves.",
    )
    p.add_argument("--config", help="config YAML (default configs/default.yaml)")
    p.add_argument("--history", type=Path, help=f"history file (default {default_history()})")
    p.set_defaults(func=run_chat)


def run_chat(args: argparse.Namespace) -> int:
    # Progress bars from the model loader would land in the middle of the prompt line.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    env = dict(os.environ)  # read once, here
    config = load_config(args.config, env)
    term = Terminal(sys.stdout, env)
    # One person's own machine (the `default` tenant): they administer its brand kit and review,
    # as an HTTP caller does when no API keys are configured.
    origin = Origin("console", user_id=getpass.getuser(), channel_id="terminal", roles=frozenset(ROLES))
    history: Path = args.history or default_history()
    background = LoopThread()
    # The runtime lives on the loop thread: entered by one submitted coroutine, left by another.
    # The store opens now (it is quick, and ratings need it); the model loads in the background.
    runtime = build_runtime(config, env, front_doors=False)
    try:
        session = ChatSession(background.run(runtime.__aenter__()).service, term, origin)
        try:
            term.markdown(
                "*PostPulse chat* — write a brief like `tone:casual platform:x our spring sale`; "
                "`help` lists the commands, `exit` or Ctrl-D leaves."
            )
            _readline(history)
            _repl(session, background, term)
        finally:
            background.run(runtime.__aexit__(None, None, None))
            _save_history(history)
    finally:
        background.stop()
    return 0


def _repl(session: ChatSession, background: LoopThread, term: Terminal) -> None:
    """input() records each line in readline's history (when readline is loaded)."""
    while True:
        try:
            line = input(PROMPT)
        except EOFError:
            term.line()
            return
        except KeyboardInterrupt:
            term.line("\n(type exit or press Ctrl-D to leave)")
            continue
        try:
            if not background.run(session.handle_line(line)):
                return
        except KeyboardInterrupt:
            continue


def _save_history(history: Path) -> None:
    with contextlib.suppress(ImportError, OSError):
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)
