"""`postpulse discord invite-url`: the OAuth2 link that adds the bot to a server."""

from __future__ import annotations

import argparse
import os

import discord

from adapters.discord.settings import APPLICATION_ID_ENV, application_id_from
from adapters.errors import SetupError

SCOPES = ("bot", "applications.commands")


def bot_permissions() -> discord.Permissions:
    """What the bot needs: see channels, post (the fallback after a token expired, and follow-ups in
    threads), embed links in drafts, read the history its buttons sit in."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        read_message_history=True,
    )


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=bot_permissions(), scopes=SCOPES)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("discord", help="Discord bot tools", description="Discord bot tools.")
    sub = parser.add_subparsers(dest="discord_command", metavar="COMMAND", required=True)
    invite = sub.add_parser(
        "invite-url",
        help="print the link that adds PostPulse to a Discord server",
        description="Print the OAuth2 invite URL: scopes bot + applications.commands, the bot's permissions.",
    )
    invite.add_argument(
        "--application-id",
        help=f"the Discord application id (default: ${APPLICATION_ID_ENV}, or the bot token's)",
    )
    invite.set_defaults(func=_print_invite)


def _print_invite(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.application_id:
        env[APPLICATION_ID_ENV] = args.application_id
    app_id = application_id_from(env)  # a SetupError becomes one line and exit 2 (adapters.cli)
    if app_id is None:
        raise SetupError(
            f"no application id: pass --application-id or set {APPLICATION_ID_ENV} "
            "(the Discord developer portal's General Information page shows it)"
        )
    print(invite_url(app_id))
    return 0
