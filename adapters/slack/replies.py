"""What a Slack request turns into once it is acknowledged: a streamed channel message, a streamed
thread reply, a remixed message, an ephemeral notice.

Every path ends with the user seeing something: the final draft, or plain words from
`bot.messages.user_message` (sent ephemerally), never silence and never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.streaming import MessageUpdater, UpdateBudget
from bot.assistant import (
    Assistant,
    DraftGroup,
    DraftJob,
    Info,
    Origin,
    RatingValue,
    RemixAction,
    Reply,
    StoredDraft,
)
from bot.catalog import Catalog
from bot.drafts import DraftDelta
from bot.errors import DuplicateDelivery
from bot.messages import user_message

log = logging.getLogger(__name__)

REMIX_VERBS: dict[str, str] = {
    "regenerate": "Regenerating",
    "shorter": "Shortening",
    "longer": "Lengthening",
    "tone": "Rewriting",
    "platform": "Adapting",
}
CANNOT_POST = "I can't post in this channel — invite me with `/invite @PostPulse`, or ask me in a DM"


@dataclass(frozen=True)
class Where:
    """Where an answer goes. `response_url` (slash commands, clicks) reaches the user even where the
    bot cannot post."""

    channel: str
    user: str
    thread_ts: str | None = None
    response_url: str | None = None


class Replies:
    def __init__(
        self,
        client: AsyncWebClient,
        assistant: Callable[[], Assistant],
        catalog: Catalog,
        budget: UpdateBudget,
        *,
        edit_interval_s: float = 1.0,
    ) -> None:
        self.client = client
        self.assistant = assistant
        self.catalog = catalog
        self.budget = budget
        self.edit_interval_s = edit_interval_s
        self._tasks: set[asyncio.Task[None]] = set()

    # -- task bookkeeping: work runs after the ack, and shutdown cancels what is still running --

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout_s: float | None = None) -> bool:
        """Wait for the work in flight (tests, benchmarks); False if some is still running."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)
        return all(task.done() for task in self._tasks)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- entry points (called after the ack) --

    async def _handle(self, origin: Origin, text: str, where: Where) -> Reply | None:
        """The Assistant's reply, or None once a retried delivery or an error has been dealt with."""
        try:
            return await self.assistant().handle(origin, text)
        except DuplicateDelivery:
            log.info("retried delivery %s: already handled", origin.delivery_id)
        except Exception as exc:
            await self.notice(where, exc)
        return None

    async def command(self, origin: Origin, text: str, where: Where) -> None:
        """`/postpulse …`: help and lists ephemerally, a draft as a channel message that streams."""
        reply = await self._handle(origin, text, where)
        if reply is None:
            return
        if isinstance(reply, Info):
            await self.ephemeral(where, *blocks.info_message(reply))
            return
        if isinstance(reply, DraftGroup):
            await self.stream_siblings(origin, reply, where)
            return
        await self.stream_message(origin, reply, where)

    async def thread(self, origin: Origin, text: str, where: Where) -> None:
        """A mention or a DM: answered in its thread, the draft streamed with chat streaming."""
        reply = await self._handle(origin, text, where)
        if reply is None:
            return
        if isinstance(reply, Info):
            text_, blocks_ = blocks.info_message(reply)
            await self._post_or_notice(where, text_, blocks_)
            return
        if isinstance(reply, DraftGroup):  # one message per platform, in the thread
            await self.stream_siblings(origin, reply, where)
            return
        await self.stream_thread(origin, reply, where)

    async def action(
        self, origin: Origin, action_id: str, value: blocks.ActionValue, where: Where, ts: str
    ) -> None:
        """A click on a final message: remix it in place, record a choice, or store a rating."""
        try:
            assistant = self.assistant()
            if action_id in (blocks.RATE_UP, blocks.RATE_DOWN):
                rating: RatingValue = "up" if action_id == blocks.RATE_UP else "down"
                await assistant.rate(origin, value.draft_id, value.variant, rating)
                thumb = "👍" if rating == "up" else "👎"
                await self.ephemeral(where, *blocks.notice_message(f"Thanks — {thumb} saved for this draft."))
                return
            if action_id.startswith(blocks.USE):
                chosen = await assistant.choose(origin, value.draft_id, value.variant)
                await self._show_final(origin, where, ts, chosen)
                return
            remix = _REMIX_BY_ACTION.get(action_id)
            if remix is None:
                log.warning("unknown action %s", action_id)
                return
            job = await assistant.remix(origin, value.draft_id, remix, value.choice)
        except DuplicateDelivery:
            return
        except Exception as exc:
            await self.notice(where, exc)
            return
        await self.stream_message(origin, job, where, ts=ts, verb=REMIX_VERBS[remix], parent=value.draft_id)

    # -- streaming --

    async def stream_siblings(self, origin: Origin, group: DraftGroup, where: Where) -> None:
        """One message per platform, in the order asked, each with its own buttons. The siblings are
        all being written meanwhile (their jobs started together): a later one's message fills at once
        from what it wrote while the earlier ones streamed."""
        try:
            for job in group.jobs:
                await self.stream_message(origin, job, where)
        finally:
            await group.aclose()

    async def stream_message(
        self,
        origin: Origin,
        job: DraftJob,
        where: Where,
        *,
        ts: str | None = None,
        verb: str = "Drafting",
        parent: str | None = None,
    ) -> None:
        """Post (or reuse) a message, edit it as the draft streams, end with the final blocks."""
        headline = blocks.drafting_line(job.brief, self.catalog, origin.user_id, verb)
        if ts is None:
            text, first = blocks.progress_message(headline, "")
            try:
                posted = await self.client.chat_postMessage(
                    channel=where.channel, thread_ts=where.thread_ts, text=text, blocks=first
                )
            except SlackApiError as exc:
                log.warning("cannot post in %s: %s", where.channel, exc.response.get("error"))
                await job.aclose()
                await self.ephemeral(where, *blocks.notice_message(CANNOT_POST))
                return
            ts = str(posted["ts"])
        updater = MessageUpdater(
            self.client,
            self.budget,
            workspace=origin.workspace_id or "-",
            channel=where.channel,
            ts=ts,
            thread_ts=where.thread_ts,
            interval_s=self.edit_interval_s,
        )
        if parent is not None:  # a remix: the clicked message turns into "Regenerating …" at once
            updater.show(*blocks.progress_message(headline, ""))
        try:
            draft = await self._consume(
                job, lambda text: updater.show(*blocks.progress_message(headline, text))
            )
        except Exception as exc:
            await updater.close()
            await self._undo(origin, where, ts, parent)
            await self.notice(where, exc)
            return
        await updater.finish(*blocks.final_message(draft, self.catalog))

    async def stream_thread(self, origin: Origin, job: DraftJob, where: Where) -> None:
        """Stream the first variant's text into the thread with chat.startStream/appendStream/
        stopStream, then replace the message with the final blocks: the post-processed text (limit,
        hashtags) differs from the raw tokens, and stopStream can only add blocks below them."""
        assert where.thread_ts is not None, "a thread reply needs the thread"
        streamer = await self.client.chat_stream(
            channel=where.channel,
            thread_ts=where.thread_ts,
            recipient_team_id=origin.workspace_id,
            recipient_user_id=origin.user_id,
            buffer_size=1,  # this adapter decides when to flush: about once a second
        )
        pending: list[str] = []
        last_flush = 0.0
        flushes: list[asyncio.Task[Any]] = []

        def on_text(_: str, delta: str) -> None:
            nonlocal last_flush
            pending.append(delta)
            now = time.monotonic()
            if now - last_flush >= self.edit_interval_s and not (flushes and not flushes[-1].done()):
                chunk = "".join(pending)
                pending.clear()
                last_flush = now
                flushes.append(asyncio.ensure_future(streamer.append(markdown_text=blocks.escape(chunk))))

        try:
            draft = await self._consume(job, None, on_delta=on_text)
            await asyncio.gather(*flushes)
            await streamer.stop(markdown_text=blocks.escape("".join(pending)) or None)
        except Exception as exc:
            await asyncio.gather(*flushes, return_exceptions=True)
            with contextlib.suppress(Exception):
                if streamer.ts is not None:
                    await streamer.stop(markdown_text=f"\n\n_({blocks.escape(user_message(exc))})_")
            await self.notice(where, exc)
            return
        assert streamer.ts is not None
        updater = MessageUpdater(
            self.client,
            self.budget,
            workspace=origin.workspace_id or "-",
            channel=where.channel,
            ts=streamer.ts,
            thread_ts=where.thread_ts,
            interval_s=self.edit_interval_s,
        )
        await updater.finish(*blocks.final_message(draft, self.catalog))

    async def _consume(
        self,
        job: DraftJob,
        on_first_variant: Callable[[str], None] | None,
        *,
        on_delta: Callable[[str, str], None] | None = None,
    ) -> StoredDraft:
        """Drain the job; the first variant's text so far goes to the callbacks as it grows."""
        text = ""
        draft: StoredDraft | None = None
        try:
            async for item in job:
                if isinstance(item, DraftDelta):
                    if item.index != 0:
                        continue
                    text += item.text
                    if on_first_variant is not None:
                        on_first_variant(text)
                    if on_delta is not None:
                        on_delta(text, item.text)
                else:
                    draft = item
        finally:
            await job.aclose()
        if draft is None:
            raise RuntimeError("the draft job ended without a draft")
        return draft

    async def _show_final(self, origin: Origin, where: Where, ts: str, draft: StoredDraft) -> None:
        updater = MessageUpdater(
            self.client,
            self.budget,
            workspace=origin.workspace_id or "-",
            channel=where.channel,
            ts=ts,
            thread_ts=where.thread_ts,
        )
        await updater.finish(*blocks.final_message(draft, self.catalog))

    async def _undo(self, origin: Origin, where: Where, ts: str, parent: str | None) -> None:
        """A generation failed: a remix puts its parent back, a fresh draft removes its placeholder."""
        try:
            if parent is not None:
                text, blocks_ = blocks.final_message(await self.assistant().get(origin, parent), self.catalog)
                await self.client.chat_update(channel=where.channel, ts=ts, text=text, blocks=blocks_)
            else:
                await self.client.chat_delete(channel=where.channel, ts=ts)
        except Exception as exc:  # the notice below still tells the user what happened
            log.warning("could not tidy up message %s: %s", ts, exc)

    # -- notices --

    async def notice(self, where: Where, exc: BaseException) -> None:
        words = user_message(exc)
        if words == "generation failed — please try again":
            log.error("Slack request failed", exc_info=exc)
        else:
            log.info("Slack request refused: %s", words)
        await self.ephemeral(where, *blocks.notice_message(words))

    async def ephemeral(self, where: Where, text: str, blocks_: list[blocks.Block]) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=where.channel, user=where.user, thread_ts=where.thread_ts, text=text, blocks=blocks_
            )
            return
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed: %s", exc.response.get("error"))
        if where.response_url:  # the bot may not be in the channel; the command's response_url still works
            from slack_sdk.webhook.async_client import AsyncWebhookClient

            webhook = AsyncWebhookClient(where.response_url)
            await webhook.send(text=text, blocks=blocks_, response_type="ephemeral")

    async def _post_or_notice(self, where: Where, text: str, blocks_: list[blocks.Block]) -> None:
        try:
            await self.client.chat_postMessage(
                channel=where.channel, thread_ts=where.thread_ts, text=text, blocks=blocks_
            )
        except SlackApiError:
            await self.ephemeral(where, text, blocks_)


_REMIX_BY_ACTION: dict[str, RemixAction] = {
    blocks.REGENERATE: "regenerate",
    blocks.SHORTER: "shorter",
    blocks.LONGER: "longer",
    blocks.TONE: "tone",
    blocks.PLATFORM: "platform",
}
