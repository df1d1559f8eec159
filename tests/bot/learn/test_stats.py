"""A/B counting and the decision, on simulated feedback with a known winner.

Drafts, approvals (through bot.review's use case), picks, edits and ratings are written through the
real repositories on a real database (SQLite and PostgreSQL: the counting query must be portable);
then `postpulse learn status` (CLI), `/postpulse brand stats` (chat) and the report read them back."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.learn_status import add_status
from bot.assistant import Assistant, Info
from bot.catalog import Catalog
from bot.config import AppConfig, BrandConfig
from bot.errors import InvalidOption
from bot.learn.stats import MIN_DRAFTS, brand_report, two_proportion_z, wilson
from bot.records import Origin
from bot.review import Reviews
from bot.store import Store, database_url, open_store
from bot.tenancy import Tenancy
from tests.bot.store.support import make_draft

TEAM = Origin("slack", "U1", "TACME", "C1", "alice")
OTHER_TEAM = Origin("slack", "U7", "TACME2", "C1", "olga")  # the same brand, another workspace
REVIEWER = dataclasses.replace(TEAM, user_id="U2", roles=frozenset({"reviewer"}))
BRANDS = {"acme": BrandConfig(slack_workspaces=["TACME", "TACME2"]), "globex": BrandConfig()}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return database_url(request.getfixturevalue("postgres_url"), None)
    return database_url(None, str(tmp_path / "drafts.db"))


@pytest_asyncio.fixture
async def store(url: str) -> AsyncIterator[Store]:
    opened = await open_store(url)
    yield opened
    await opened.close()


async def write(
    store: Store, version: int | None, outcome: str, origin: Origin = TEAM, brand: str = "acme"
) -> None:
    """One draft by `version` and what people did with it: win (approved, picked or rated up), loss
    (nothing, or rated down even though picked), or edited (edited, then approved: a win)."""
    draft = dataclasses.replace(
        make_draft(origin=origin), adapter=brand, adapter_version=version, tenant=Tenancy().of(origin)
    )
    await store.drafts.add(draft)
    reviews = Reviews(store, Tenancy())
    reviewer = dataclasses.replace(REVIEWER, workspace_id=origin.workspace_id)
    if outcome in ("approved", "edited"):
        await reviews.submit(origin, draft.id, 0)
        if outcome == "edited":
            await reviews.edit(reviewer, draft.id, 0, "Our spring sale starts now, with a better line.")
        await reviews.approve(reviewer, draft.id)
    elif outcome == "picked":
        await store.feedback.add_choice(draft.id, 1, origin)
    elif outcome == "up":
        await store.feedback.add_rating(draft.id, 0, "up", origin)
    elif outcome == "picked_then_down":
        await store.feedback.add_choice(draft.id, 0, origin)
        await store.feedback.add_rating(draft.id, 0, "down", origin)


async def simulate(store: Store, wins: dict[int, int], n: int = 40) -> None:
    """`n` drafts per version, `wins[v]` of them won, by every kind of signal in turn."""
    kinds = ("approved", "picked", "up", "edited")
    for version, won in wins.items():
        for i in range(n):
            await write(
                store, version, kinds[i % 4] if i < won else ("picked_then_down" if i % 5 == 0 else "none")
            )


async def versions(store: Store) -> None:
    """acme v1 serving, v2 testing (its test starts now: only drafts from here on count)."""
    v1 = await store.adapters.add("acme", lambda n: f"/adapters/acme/v{n}", parent_version=None)
    await store.adapters.decide("acme", v1.version, "promoted", "gate passed")
    await write(store, 1, "none")  # before the test started: not counted
    v2 = await store.adapters.add("acme", lambda n: f"/adapters/acme/v{n}", parent_version=1)
    await store.adapters.decide("acme", v2.version, "testing", "gate passed")


async def test_a_better_testing_version_is_promoted_by_the_z_test(store: Store) -> None:
    await versions(store)
    await simulate(store, {1: 12, 2: 28})  # 30% against 70%
    await write(store, 2, "none", brand="globex")  # another brand's: not counted
    for _ in range(5):
        await write(store, 2, "none", origin=OTHER_TEAM)  # the brand's other team: counted for the brand
    report = await brand_report(store, "acme", list(BRANDS))
    serving, testing = report.serving, report.testing
    assert testing is not None
    assert (serving.label, testing.label) == ("acme/v1", "acme/v2")
    assert (serving.counts.drafts, serving.counts.won) == (40, 12)
    assert (testing.counts.drafts, testing.counts.won) == (45, 28)
    # every signal is counted: 28 wins = 7 approved + 7 picked + 7 rated up + 7 edited and approved;
    # of the 12 losses, drafts 30 and 35 were picked and then rated down (no win)
    assert (testing.counts.approved, testing.counts.picked, testing.counts.rated_up) == (14, 7 + 2, 7)
    assert testing.counts.edited == 7 and testing.counts.rated_down == 2
    assert report.decision == "promote" and report.z is not None and report.z > 1.96
    assert testing.ci_low > serving.win_rate and serving.ci_low < 0.3 < serving.ci_high


async def test_a_worse_one_is_dropped_and_a_small_sample_keeps_testing(store: Store) -> None:
    await versions(store)
    await simulate(store, {1: 10, 2: 10}, n=MIN_DRAFTS - 1)
    early = await brand_report(store, "acme", list(BRANDS))
    assert early.decision == "keep testing" and "too few drafts" in early.reason
    await simulate(store, {1: 15, 2: 0}, n=20)
    late = await brand_report(store, "acme", list(BRANDS))
    assert late.decision == "drop" and late.z is not None and late.z < -1.96


async def test_chat_shows_the_teams_own_stats_to_reviewers_only(
    store: Store, app_config: AppConfig, catalog: Catalog
) -> None:
    await versions(store)
    await simulate(store, {1: 2, 2: 3}, n=4)
    for _ in range(6):
        await write(store, 2, "up", origin=OTHER_TEAM)  # another team of the brand: not in TEAM's stats
    config = app_config.model_copy(update={"brands": BRANDS})

    def no_engine() -> None:
        raise AssertionError("stats need no engine")

    assistant = Assistant(no_engine, store, catalog, config)  # type: ignore[arg-type]
    reply = await assistant.handle(REVIEWER, "brand stats")
    assert isinstance(reply, Info) and reply.title == "Brand stats"
    assert "acme/v1 (serving): 2/4 won" in reply.text and "acme/v2 (testing): 3/4 won" in reply.text
    assert "keep testing" in reply.text and "two-proportion z-test" in reply.text
    member = await assistant.handle(TEAM, "brand stats")
    assert isinstance(member, Info) and "admins and reviewers" in member.text and "acme/v" not in member.text


async def test_the_cli_prints_the_report_and_refuses_an_unknown_brand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "drafts.db"
    store = await open_store(database_url(None, str(path)))
    try:
        await versions(store)
        await simulate(store, {1: 1, 2: 2}, n=2)
    finally:
        await store.close()
    config = tmp_path / "postpulse.yaml"
    config.write_text(f"store:\n  path: {path}\nbrands:\n  acme: {{}}\n")
    parser = argparse.ArgumentParser(prog="postpulse")
    learn = parser.add_subparsers().add_parser("learn").add_subparsers()
    add_status(learn)  # as the lead registers it under `postpulse learn`
    args = parser.parse_args(["learn", "status", "--brand", "acme", "--json", "--config", str(config)])
    assert await asyncio.to_thread(args.func, args) == 0  # the CLI runs its own event loop
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "keep testing" and out["testing"]["counts"]["won"] == 2
    assert out["test"].startswith("two-proportion z-test")
    args = parser.parse_args(["learn", "status", "--brand", "nope", "--config", str(config)])
    with pytest.raises(InvalidOption, match="no brand 'nope'; brands: default, acme"):
        await asyncio.to_thread(args.func, args)


def test_the_statistics_match_hand_computed_values() -> None:
    low, high = wilson(12, 40)
    assert round(low, 3) == 0.181 and round(high, 3) == 0.454
    z, p = two_proportion_z(12, 40, 28, 40)
    assert round(z, 2) == 3.58 and p < 0.001
