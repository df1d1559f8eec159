"""API keys carry roles (bot.config.RolesConfig): admin and reviewer keys are valid keys too."""

from __future__ import annotations

from adapters.http.auth import Guard, RateLimiter, caller_id


def _guard(keys: list[str], admins: list[str] | None = None, reviewers: list[str] | None = None) -> Guard:
    return Guard(keys, RateLimiter(0), admin_keys=admins, reviewer_keys=reviewers)


def test_without_keys_every_caller_administers_and_reviews() -> None:
    guard = _guard([])
    assert not guard.enabled
    assert guard.roles("addr:127.0.0.1") == frozenset({"admin", "reviewer"})


def test_a_plain_key_has_no_role_and_role_keys_are_valid_keys() -> None:
    guard = _guard(["plain"], admins=["boss"], reviewers=["editor", "boss"])
    assert guard.enabled
    assert guard.roles(caller_id("plain")) == frozenset()
    assert guard.roles(caller_id("editor")) == frozenset({"reviewer"})
    assert guard.roles(caller_id("boss")) == frozenset({"admin", "reviewer"})
    assert guard._known(b"boss") and guard._known(b"editor") and not guard._known(b"stranger")


def test_role_keys_alone_turn_authentication_on() -> None:
    guard = _guard([], reviewers=["editor"])
    assert guard.enabled
    assert guard.roles(caller_id("stranger")) == frozenset()
