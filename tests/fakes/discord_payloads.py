"""Discord's payload shapes for the fake (tests/fakes/discord_api.py): ids, users, guilds, constants."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
TOKEN_LIFETIME_S = 15 * 60

# Opcodes and interaction types, as in Discord's documentation.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME, OP_HELLO, OP_HEARTBEAT_ACK = 0, 1, 2, 6, 10, 11
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 2, 3, 4
# Callback types: 4 message, 5 deferred message ("thinking"), 6 deferred update, 7 update, 8 choices.
CALLBACK_MESSAGE, CALLBACK_DEFERRED, CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE = 4, 5, 6, 7
CALLBACK_MODAL = 9  # the answer is a modal; its submission is a MODAL_SUBMIT interaction
MODAL_SUBMIT = 5
ALL_PERMISSIONS = (1 << 41) - 1
MANAGE_GUILD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

Json = dict[str, Any]


_increment = itertools.count()


def snowflake(at: float | None = None) -> str:
    """A Discord id whose timestamp is `at` (epoch seconds, default now), as discord.py reads it."""
    ms = int((time.time() if at is None else at) * 1000)
    return str(((ms - DISCORD_EPOCH_MS) << 22) | (next(_increment) % 4096))


def iso(at: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat()


@dataclass
class Guild:
    id: str
    name: str
    channel_ids: list[str]
    roles: dict[str, str] = field(default_factory=dict)  # role id -> name, besides @everyone


def shard_of(guild_id: str, shard_count: int) -> int:
    """Discord's shard formula."""
    return (int(guild_id) >> 22) % max(1, shard_count)


def user_payload(user_id: str, name: str, *, bot: bool = False) -> Json:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
        "mfa_enabled": False,
        "verified": True,
        "email": None,
    }


def guild_payload(guild: Guild) -> Json:
    now = iso()
    return {
        "id": guild.id,
        "name": guild.name,
        "icon": None,
        "owner_id": "3300000000000000001",
        "roles": [
            {
                "id": guild.id,
                "name": "@everyone",
                "permissions": "2248473465835073",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            *(
                {
                    "id": role_id,
                    "name": name,
                    "permissions": "0",
                    "position": position,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": True,
                    "flags": 0,
                }
                for position, (role_id, name) in enumerate(guild.roles.items(), start=1)
            ),
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "members": [],
        "presences": [],
        "voice_states": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "channels": [
            {
                "id": cid,
                "type": 0,
                "name": f"general-{i}",
                "position": i,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
            for i, cid in enumerate(guild.channel_ids)
        ],
        "joined_at": now,
        "large": False,
        "unavailable": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "afk_timeout": 300,
        "afk_channel_id": None,
        "system_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "splash": None,
        "discovery_splash": None,
        "premium_progress_bar_enabled": False,
        "application_id": None,
        "max_members": 500000,
    }


def interaction_payload(
    application_id: str,
    interaction_id: str,
    token: str,
    kind: int,
    data: Json,
    guild: Guild,
    channel_id: str,
    user: Json,
    *,
    roles: list[str] | None = None,
    permissions: int = ALL_PERMISSIONS,
) -> Json:
    """An INTERACTION_CREATE payload from a guild member holding `roles`, with `permissions` (every
    one unless told otherwise)."""
    payload: Json = {
        "id": interaction_id,
        "application_id": application_id,
        "type": kind,
        "data": data,
        "guild_id": guild.id,
        "channel_id": channel_id,
        "channel": {
            "id": channel_id,
            "type": 0,
            "guild_id": guild.id,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        },
        "member": {
            "user": user,
            "roles": list(roles or []),
            "joined_at": iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
            "nick": None,
            "avatar": None,
        },
        "token": token,
        "version": 1,
        "app_permissions": str((1 << 41) - 1),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild.id},
        "context": 0,
        "attachment_size_limit": 10485760,
    }
    return payload


def application_payload(application_id: str) -> Json:
    return {
        "id": application_id,
        "name": "PostPulse",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "00" * 32,
        "owner": user_payload("3300000000000000001", "owner"),
        "flags": 0,
        "team": None,
        "rpc_origins": [],
        "summary": "",
        "interactions_endpoint_url": None,
    }


def message_payload(
    channel_id: str, data: Json, flags: int, author: Json, application_id: str, interaction_id: str | None
) -> Json:
    """A message as Discord returns it, from what the bot sent (content, components, embeds)."""
    return {
        "id": snowflake(),
        "channel_id": channel_id,
        "author": author,
        "content": data.get("content") or "",
        "timestamp": iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": data.get("embeds") or [],
        "pinned": False,
        "type": 0,
        "components": data.get("components") or [],
        "flags": flags,
        "webhook_id": application_id if interaction_id else None,
        "application_id": application_id,
        "allowed_mentions": data.get("allowed_mentions"),
    }


@dataclass
class Token:
    interaction_id: str
    channel_id: str
    created: float  # time.time()
    message_id: str | None = None  # the message the interaction is about (component) or created
    ephemeral: bool = False
