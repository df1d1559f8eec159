"""Interactions in, Discord messages out: defer at once, stream edits, finish with buttons.

Every handler acknowledges the interaction before it touches the bot core (Discord allows 3 s, and
the engine may be saturated), then edits that response as the draft streams, about once a second.
An interaction token lives 15 minutes: a remix clicked on an older message becomes a new message,
and a response whose token died mid-stream continues as a plain channel message. Failures become
ephemeral follow-ups in plain words (bot.messages.user_message), never silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from adapters.discord.components import draft_view
from adapters.discord.gate import NO_PINGS
from adapters.discord.render import render_info, render_partial, render_pieces, split_message
from adapters.discord.roles import roles_of
from bot.assistant import Assistant, DraftGroup, DraftJob, Info, Origin, Reply, StoredDraft
from bot.catalog import Catalog
from bot.config import DiscordConfig, RolesConfig
from bot.drafts import DraftDelta
from bot.errors import BotError, DuplicateDelivery
from bot.messages import user_message
from engine.errors import EngineError

log = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(minutes=15)
# Discord's answers to a webhook call with a dead interaction token.
EXPIRED_TOKEN_CODES = frozenset({50027, 10015})  # Invalid Webhook Token, Unknown Webhook
GONE_INTERACTION_CODES = frozenset({10062, 40060})  # Unknown interaction, already acknowledged

Interaction = discord.Interaction[Any]


def token_expired(exc: discord.HTTPException) -> bool:
    return exc.code in EXPIRED_TOKEN_CODES or exc.status == 401


def origin_of(interaction: Interaction, roles: RolesConfig | None = None) -> Origin:
    """Who asked, from where; with `roles:` config, what they may do (adapters.discord.roles)."""
    return Origin(
        front_door="discord",
        user_id=str(interaction.user.id),
        workspace_id=str(interaction.guild_id) if interaction.guild_id else None,
        channel_id=str(interaction.channel_id) if interaction.channel_id else None,
        user_name=interaction.user.display_name,
        delivery_id=str(interaction.id),
        roles=roles_of(interaction, roles) if roles is not None else frozenset(),
    )


class Writer:
    """The message a response is written into: the interaction's own (edited through its token),
    then follow-ups; once the token has expired, plain channel messages sent with the bot token."""

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction
        self.fallback: discord.Message | None = None
        self.wrote_extra = False

    async def show(self, content: str, view: discord.ui.View | None = None) -> None:
        """Replace the main message's content (and its buttons: None removes them)."""
        if self.fallback is not None:
            await self.fallback.edit(content=content, view=view, allowed_mentions=NO_PINGS)
            return
        try:
            await self.interaction.edit_original_response(
                content=content, view=view, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            if not token_expired(exc):
                raise
            log.info(
                "interaction %s: token expired; continuing in a new channel message", self.interaction.id
            )
            self.fallback = await self._channel_send(content, view)

    async def extra(self, content: str, view: discord.ui.View | None = None) -> None:
        """A further message after the main one (a long draft's next part)."""
        self.wrote_extra = True
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        if self.fallback is None:
            try:
                await self.interaction.followup.send(content, wait=True, allowed_mentions=NO_PINGS, **kwargs)
                return
            except discord.HTTPException as exc:
                if not token_expired(exc):
                    raise
        await self._channel_send(content, view)

    async def discard(self) -> None:
        """Remove the public "thinking…"/partial message before an ephemeral error replaces it."""
        try:
            if self.fallback is not None:
                await self.fallback.delete()
            else:
                await self.interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.debug("could not remove the response of %s: %s", self.interaction.id, exc)

    async def _channel_send(self, content: str, view: discord.ui.View | None) -> discord.Message:
        channel = self.interaction.channel
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            raise RuntimeError("the interaction has no channel to post in")
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        return await channel.send(content, allowed_mentions=NO_PINGS, **kwargs)


@dataclass
class Responder:
    """What every command and component callback calls; holds the Assistant and the catalogue."""

    assistant_of: Any  # () -> Assistant: the service's, looked up per call (it appears at start-up)
    catalog: Catalog
    config: DiscordConfig
    roles: RolesConfig = field(default_factory=RolesConfig)  # who administers and reviews
    writing: set[asyncio.Task[Any]] = field(default_factory=set)  # drafts being written now

    @property
    def assistant(self) -> Assistant:
        return self.assistant_of()  # type: ignore[no-any-return]

    def origin(self, interaction: Interaction) -> Origin:
        return origin_of(interaction, self.roles)

    async def drain(self, grace_s: float) -> None:
        """At shutdown: let drafts being written finish for `grace_s`, then cancel the rest."""
        if self.writing:
            _, late = await asyncio.wait(set(self.writing), timeout=grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # ---- commands ----

    async def command(self, interaction: Interaction, fields: dict[str, object], typed_options: bool) -> None:
        """/postpulse: the prompt alone goes through the full grammar (help, tones, defaults …);
        with typed options it is a draft whose prompt may still hold key:value options."""
        if not await self._defer(interaction, thinking=True):
            return
        origin = self.origin(interaction)
        try:
            if typed_options:
                reply: Reply = await self.assistant.draft(origin, fields)
            else:
                reply = await self.assistant.handle(origin, str(fields.get("prompt", "")))
        except Exception as exc:
            await self._failed(interaction, Writer(interaction), exc)
            return
        if isinstance(reply, Info):
            await self._info_instead(interaction, reply)
            return
        if isinstance(reply, DraftGroup):
            await self._write_siblings(interaction, reply)
            return
        await self._write(interaction, reply, Writer(interaction))

    async def info(self, interaction: Interaction, text: str) -> None:
        """/postpulse-help, /postpulse-defaults: an Info answer, only for the person who asked."""
        if not await self._defer(interaction, thinking=True, ephemeral=True):
            return
        try:
            reply = await self.assistant.handle(self.origin(interaction), text)
        except Exception as exc:
            await self._say_privately(interaction, exc, edit=True)
            return
        if not isinstance(reply, Info):  # not reachable with the texts our commands send
            await reply.aclose()
            await interaction.edit_original_response(
                content="Use /postpulse to write a draft.", allowed_mentions=NO_PINGS
            )
            return
        pieces = split_message(render_info(reply))
        await interaction.edit_original_response(content=pieces[0], allowed_mentions=NO_PINGS)
        for piece in pieces[1:]:
            await interaction.followup.send(piece, ephemeral=True, allowed_mentions=NO_PINGS)

    # ---- components ----

    async def remix(
        self, interaction: Interaction, draft_id: str, action: str, value: str | None = None
    ) -> None:
        """Regenerate/Shorter/Longer/tone: the clicked message is rewritten in place while the
        conversation is live; a message older than a token's lifetime gets the remix as a new one."""
        message = interaction.message
        in_place = (
            message is not None
            and not message.flags.ephemeral
            and (datetime.now(UTC) - message.created_at < TOKEN_LIFETIME)
        )
        if not await self._defer(interaction, thinking=not in_place):
            return
        origin = self.origin(interaction)
        try:
            parent = await self.assistant.get(origin, draft_id) if in_place else None
            job = await self.assistant.remix(origin, draft_id, action, value)  # type: ignore[arg-type]
        except Exception as exc:
            if in_place:
                await self._say_privately(interaction, exc)
            else:
                await self._failed(interaction, Writer(interaction), exc)
            return
        await self._write(interaction, job, Writer(interaction), restore=parent)

    async def rate(self, interaction: Interaction, draft_id: str, variant: int, rating: str) -> None:
        """👍/👎: acknowledged (privately) only once the store has it."""
        if not await self._defer(interaction, thinking=True, ephemeral=True):
            return
        try:
            await self.assistant.rate(self.origin(interaction), draft_id, variant, rating)  # type: ignore[arg-type]
        except Exception as exc:
            await self._say_privately(interaction, exc, edit=True)
            return
        emoji = "👍" if rating == "up" else "👎"
        await interaction.edit_original_response(
            content=f"{emoji} Thanks — saved for variant {variant + 1}. Ratings teach PostPulse what works.",
            allowed_mentions=NO_PINGS,
        )

    async def choose(self, interaction: Interaction, draft_id: str, variant: int) -> None:
        """ "Use this": records the choice and hands the person the text, ready to copy."""
        if not await self._defer(interaction, thinking=True, ephemeral=True):
            return
        try:
            draft = await self.assistant.choose(self.origin(interaction), draft_id, variant)
        except Exception as exc:
            await self._say_privately(interaction, exc, edit=True)
            return
        text = draft.variants[variant].text.strip()
        pieces = split_message(f"✅ Variant {variant + 1} it is — ready to copy:\n\n{text}")
        await interaction.edit_original_response(content=pieces[0], allowed_mentions=NO_PINGS)
        for piece in pieces[1:]:
            await interaction.followup.send(piece, ephemeral=True, allowed_mentions=NO_PINGS)

    # ---- internals ----

    async def _defer(self, interaction: Interaction, *, thinking: bool, ephemeral: bool = False) -> bool:
        """Acknowledge at once; False when Discord no longer knows the interaction (too late, or a
        replayed event another process already answered)."""
        started = time.perf_counter()
        try:
            await interaction.response.defer(thinking=thinking, ephemeral=ephemeral)
        except discord.HTTPException as exc:
            if exc.code in GONE_INTERACTION_CODES:
                log.warning("interaction %s could not be acknowledged: %s", interaction.id, exc.text)
                return False
            raise
        log.debug("interaction %s deferred in %.0f ms", interaction.id, (time.perf_counter() - started) * 1e3)
        return True

    async def _write(
        self, interaction: Interaction, job: DraftJob, writer: Writer, restore: StoredDraft | None = None
    ) -> None:
        """Stream `job` into `writer`; on failure put back what was there and say why, privately."""
        task = asyncio.current_task()
        if task is not None:
            self.writing.add(task)
        try:
            draft = await self._stream(job, writer, interaction.user.mention)
            await self._finish(writer, draft)
        except Exception as exc:
            log.info("interaction %s: the draft failed: %s", interaction.id, type(exc).__name__)
            if restore is not None:
                await self._restore(writer, restore)
                await self._say_privately(interaction, exc)
            else:
                await self._failed(interaction, writer, exc)
        finally:
            await job.aclose()
            if task is not None:
                self.writing.discard(task)

    async def _write_siblings(self, interaction: Interaction, group: DraftGroup) -> None:
        """`platform:x,linkedin`: the first platform's draft streams into the response, each other one
        follows as its own message with its own buttons once written (they were all written at once)."""
        writer = Writer(interaction)
        await self._write(interaction, group.jobs[0], writer)
        for job in group.jobs[1:]:
            try:
                draft = await job.result()
                pieces = render_pieces(draft, self.catalog)
                for piece in pieces[:-1]:
                    await writer.extra(piece)
                await writer.extra(pieces[-1], view=draft_view(draft, self.catalog))
            except Exception as exc:
                log.info("interaction %s: a sibling draft failed: %s", interaction.id, type(exc).__name__)
                await self._say_privately(interaction, exc)
            finally:
                await job.aclose()

    async def _stream(self, job: DraftJob, writer: Writer, user_name: str) -> StoredDraft:
        texts: dict[int, str] = {}
        last_edit = float("-inf")
        shown = False
        async for item in job:
            if isinstance(item, DraftDelta):
                texts[item.index] = texts.get(item.index, "") + item.text
                now = time.monotonic()
                if now - last_edit >= self.config.edit_interval_s or not shown:
                    last_edit, shown = now, True
                    await self._partial(writer, render_partial(job.brief, texts, self.catalog, user_name))
            elif isinstance(item, StoredDraft):
                return item
        raise RuntimeError("the draft job ended without a draft")

    async def _partial(self, writer: Writer, content: str) -> None:
        """An in-progress edit is best effort: a failed one is skipped, the final one must land."""
        try:
            await writer.show(content, view=None)
        except discord.HTTPException as exc:
            log.info("a streamed edit failed (%s); the next one will catch up", exc.status)

    async def _finish(self, writer: Writer, draft: StoredDraft) -> None:
        pieces = render_pieces(draft, self.catalog)
        view = draft_view(draft, self.catalog)
        if len(pieces) == 1:
            await writer.show(pieces[0], view=view)
            return
        await writer.show(pieces[0], view=None)
        for piece in pieces[1:-1]:
            await writer.extra(piece)
        await writer.extra(pieces[-1], view=view)

    async def _restore(self, writer: Writer, draft: StoredDraft) -> None:
        try:
            pieces = render_pieces(draft, self.catalog)
            await writer.show(
                pieces[-1] if len(pieces) > 1 else pieces[0], view=draft_view(draft, self.catalog)
            )
        except discord.HTTPException as exc:
            log.info("could not put the earlier draft back: %s", exc)

    async def _failed(self, interaction: Interaction, writer: Writer, exc: BaseException) -> None:
        """After a public defer: remove the thinking/partial message, then say why, privately."""
        await writer.discard()
        if isinstance(exc, DuplicateDelivery):  # another process answers this one: say nothing
            return
        await self._say_privately(interaction, exc)

    async def _say_privately(
        self, interaction: Interaction, exc: BaseException, *, edit: bool = False
    ) -> None:
        if isinstance(exc, DuplicateDelivery):
            return
        text = "⚠️ " + user_message(exc)
        expected = isinstance(exc, BotError | EngineError)  # said in plain words; no trace needed
        log.log(
            logging.INFO if expected else logging.ERROR,
            "interaction %s answered privately: %s",
            interaction.id,
            text,
            exc_info=None if expected else exc,
        )
        try:
            if edit:
                await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)
            else:
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException as send_exc:
            log.warning("could not tell %s why it failed: %s", interaction.user.id, send_exc)

    async def _info_instead(self, interaction: Interaction, info: Info) -> None:
        """An Info answer to /postpulse (help, tones, defaults …): only for the person who asked."""
        await Writer(interaction).discard()
        for piece in split_message(render_info(info)):
            await interaction.followup.send(piece, ephemeral=True, allowed_mentions=NO_PINGS)
