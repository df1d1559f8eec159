"""The outer shape of what Slack delivers, checked before bolt reads it.

bolt trusts a delivery's shape once its signature holds: `{"event": "x"}` or an action without an
`action_id` raises inside its middleware and comes back as a 500. These models say only what bolt
and this adapter read (the ids, the nested objects, the actions); everything else passes through.
A delivery that does not fit gets a 400 naming the first field that is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Ref(_Open):
    """team, user, channel, enterprise, container: objects with string ids."""

    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None


class _Event(_Open):
    type: str
    user: str | None = None
    channel: str | None = None
    team: str | None = None
    user_team: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None


class _Action(_Open):
    action_id: str
    value: str | None = None
    selected_option: dict[str, Any] | None = None


class _Message(_Open):
    ts: str | None = None
    thread_ts: str | None = None
    user: str | None = None


class Envelope(_Open):
    type: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    enterprise_id: str | None = None
    command: str | None = None
    text: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    event_id: str | None = None
    team: _Ref | None = None
    user: _Ref | None = None
    channel: _Ref | None = None
    enterprise: _Ref | str | None = None
    container: _Ref | None = None
    message: _Message | None = None
    previous_message: _Message | None = None
    event: _Event | None = None
    view: dict[str, Any] | None = None
    authorizations: list[_Ref] | None = None
    actions: list[_Action] | None = None


def problem(body: object) -> str | None:
    """None for a delivery bolt can read; else what is wrong with it, in a few words."""
    if not isinstance(body, dict):
        return f"the body is a JSON {type(body).__name__}, not an object"
    try:
        Envelope.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "body"
        return f"{where}: {err['msg']}"
    return None
