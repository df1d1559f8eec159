"""The slack-bolt AsyncApp: one listener per Slack surface, each of which acknowledges first.

A listener turns the payload into an `Origin` (the delivery id makes a retry a no-op, also on another
replica) and a `Where`, acknowledges, and hands the work to `Replies` as a task of its own, so the
acknowledgement never waits for the engine, the store or the Web API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, review_blocks
from adapters.slack.replies import Replies, Where
from adapters.slack.review import ReviewFlow
from adapters.slack.roles import SlackRoles
from adapters.slack.settings import SlackSettings
from adapters.slack.streaming import UpdateBudget, retry_handlers
from bot.assistant import Assistant, Origin
from bot.catalog import Catalog

log = logging.getLogger(__name__)

LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>")
NOT_INSTALLED = "PostPulse is not installed in this Slack workspace."
# Commands whose answer depends on who asks (bot.records.Role): only these look roles up, so a plain
# draft costs no users.info call. `brand …` changes a brand kit (admins).
ROLE_COMMANDS = frozenset({"brand"})


def make_client(settings: SlackSettings, budget: UpdateBudget) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL as the base, 429s waited out (Retry-After) and retried."""
    kwargs: dict[str, Any] = {}
    if settings.api_url:
        kwargs["base_url"] = settings.api_url
    return AsyncWebClient(
        token=settings.bot_token,
        retry_handlers=retry_handlers(budget, settings.tuning.rate_limit_retries),
        **kwargs,
    )


class SlackRuntime:
    """The bolt app, its Web API client, the shared update budget and the work in flight."""

    def __init__(self, settings: SlackSettings, assistant: Callable[[], Assistant], catalog: Catalog) -> None:
        self.settings = settings
        self.budget = UpdateBudget(settings.tuning.update_budget_per_minute)
        self.client = make_client(settings, self.budget)
        self.replies = Replies(
            self.client, assistant, catalog, self.budget, edit_interval_s=settings.tuning.edit_interval_s
        )
        self.roles = SlackRoles(self.client, settings.roles)
        self.review = ReviewFlow(self.client, assistant, catalog, self.roles, self.replies)
        self.app = build_app(self)

    async def close(self) -> None:
        await self.replies.close()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def _retry_num(request: AsyncBoltRequest) -> str | None:
    values = request.headers.get("x-slack-retry-num")
    return values[0] if values else None


def _clicker(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The user object of a click or a modal submission, and the team it came from."""
    user = body.get("user") or {}
    return user, (body.get("team") or {}).get("id") or user.get("team_id")


def build_app(runtime: SlackRuntime) -> AsyncApp:
    settings = runtime.settings
    replies = runtime.replies
    roles = runtime.roles
    app = AsyncApp(
        client=runtime.client,
        signing_secret=settings.signing_secret,  # bolt verifies every HTTP request's signature and age
        process_before_response=False,
        name="postpulse",
    )

    @app.middleware
    async def this_workspace_only(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """The app is installed in one workspace (its team comes from auth.test). A signed payload
        for any other team (a distributed app's signing secret is shared) is refused, before any
        listener runs: nothing is stored, generated or posted. bot.tenancy keys drafts by team."""
        installed = context.authorize_result.team_id if context.authorize_result is not None else None
        if installed is not None and context.team_id != installed:
            log.warning("refused a Slack payload for another workspace (team %r)", context.team_id)
            return BoltResponse(status=200, body=NOT_INSTALLED)
        return await next()

    @app.command(settings.tuning.command)
    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()  # first: Slack wants an answer within 3 s, whatever the engine is doing
        user = str(body.get("user_id", ""))
        text = str(body.get("text", ""))
        first = text.strip().split(" ", 1)[0].lower()
        origin = Origin(
            front_door="slack",
            user_id=user,
            workspace_id=body.get("team_id"),
            channel_id=body.get("channel_id"),
            user_name=body.get("user_name"),
            delivery_id=body.get("trigger_id"),
        )
        where = Where(
            channel=str(body.get("channel_id", "")), user=user, response_url=body.get("response_url")
        )

        async def work() -> None:
            asker = await roles.attach(origin) if first in ROLE_COMMANDS else origin
            await replies.command(asker, text, where)

        replies.spawn(work(), name="slack-command")

    @app.action(re.compile(f"^{blocks.REVIEW_PREFIX}"))
    async def on_review_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Send for review, Approve, Request changes, Edit: the clicker's roles matter here (looked up
        after the ack, in the work itself)."""
        await ack()
        try:
            value = blocks.ActionValue.decode(str(action.get("value") or ""))
        except ValueError:
            log.warning("ignoring a review click with a value this app did not write")
            return
        user, team = _clicker(body)
        user_id = str(user.get("id", ""))
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        origin = Origin(
            front_door="slack",
            user_id=user_id,
            workspace_id=team,
            channel_id=channel,
            user_name=user.get("username") or user.get("name"),
            delivery_id=body.get("trigger_id"),
        )
        where = Where(channel=str(channel), user=user_id, thread_ts=message.get("thread_ts"))
        ts = str(container.get("message_ts") or message.get("ts", ""))

        async def work() -> None:
            clicker = await roles.attach(origin)
            trigger = str(body.get("trigger_id", ""))
            await runtime.review.action(clicker, str(action["action_id"]), value, where, ts, trigger)

        replies.spawn(work(), name="slack-review")

    @app.view(re.compile(f"^{review_blocks.MODAL_PREFIX}"))
    async def on_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Edit / Request changes submitted: the modal closes at once; the result follows."""
        await ack()
        try:
            meta = review_blocks.ModalMeta.decode(str(view.get("private_metadata") or ""))
        except (ValueError, KeyError):
            log.warning("ignoring a modal with metadata this app did not write")
            return
        user, team = _clicker(body)
        user_id = str(user.get("id", ""))
        origin = Origin(
            front_door="slack",
            user_id=user_id,
            workspace_id=team,
            channel_id=meta.channel,
            user_name=user.get("username") or user.get("name"),
            delivery_id=f"view:{view.get('id')}:{view.get('hash')}",
        )

        async def work() -> None:
            submitter = await roles.attach(origin)
            await runtime.review.submitted(submitter, str(view.get("callback_id")), meta, view)

        replies.spawn(work(), name="slack-modal")

    # The draft buttons; review actions (pp_review_…) have their listener above.
    @app.action(re.compile(f"^(?!{blocks.REVIEW_PREFIX}){blocks.ACTION_PREFIX}"))
    async def on_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        raw = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        try:
            value = blocks.ActionValue.decode(raw)
        except ValueError:
            log.warning("ignoring a click with a value this app did not write")
            return
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        message = body.get("message") or {}
        container = body.get("container") or {}
        origin = Origin(
            front_door="slack",
            user_id=str(user.get("id", "")),
            workspace_id=(body.get("team") or {}).get("id") or user.get("team_id"),
            channel_id=channel,
            user_name=user.get("username") or user.get("name"),
            delivery_id=body.get("trigger_id"),
        )
        where = Where(
            channel=str(channel),
            user=origin.user_id,
            thread_ts=message.get("thread_ts"),
            response_url=body.get("response_url"),
        )
        ts = str(container.get("message_ts") or message.get("ts", ""))
        replies.spawn(replies.action(origin, str(action["action_id"]), value, where, ts), name="slack-action")

    async def on_thread_message(
        body: dict[str, Any], event: dict[str, Any], request: AsyncBoltRequest, bot_user_id: str | None
    ) -> None:
        retry = _retry_num(request)
        if retry is not None:
            log.info("Slack retry %s of event %s", retry, body.get("event_id"))
        user = str(event.get("user", ""))
        origin = Origin(
            front_door="slack",
            user_id=user,
            workspace_id=body.get("team_id") or event.get("team"),
            channel_id=event.get("channel"),
            delivery_id=body.get("event_id"),
        )
        where = Where(
            channel=str(event.get("channel", "")),
            user=user,
            thread_ts=event.get("thread_ts") or event.get("ts"),
        )
        text = str(event.get("text", ""))
        # Only the app's own mention is not part of the brief ("@PostPulse a thank-you to @bob").
        text = text.replace(f"<@{bot_user_id}>", " ") if bot_user_id else LEADING_MENTION.sub(" ", text)
        text = text.strip()
        replies.spawn(replies.thread(origin, text, where), name="slack-thread")

    @app.event("app_mention")
    async def on_mention(
        body: dict[str, Any], event: dict[str, Any], request: AsyncBoltRequest, context: AsyncBoltContext
    ) -> None:
        # Events are acknowledged by bolt itself before a listener runs.
        await on_thread_message(body, event, request, context.bot_user_id)

    @app.event("message")
    async def on_message(
        body: dict[str, Any], event: dict[str, Any], request: AsyncBoltRequest, context: AsyncBoltContext
    ) -> None:
        # DMs only; edits, joins and other bots' posts (subtypes, bot_id) are not requests.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await on_thread_message(body, event, request, context.bot_user_id)

    return app
