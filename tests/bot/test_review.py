"""The review use case (bot.review) over a real SQLite store: every transition, who may make it,
the illegal ones (ReviewConflict with plain words), bad input, tenancy, and the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.drafts import DraftService
from bot.errors import DraftNotFound, InvalidOption, NotAllowed, ReviewConflict
from bot.messages import user_message
from bot.records import Origin, Role, StoredDraft
from bot.review import Reviews
from bot.store import Store, database_url, open_store
from bot.tenancy import Tenancy
from tests.bot.store.support import make_draft

REVIEWER: frozenset[Role] = frozenset({"reviewer"})
AUTHOR = Origin("slack", "U1", "T1", "C1", "alice")  # make_draft's origin
TEAMMATE = Origin("slack", "U2", "T1", "C1", "bob")
REVIEWER_ORIGIN = Origin("slack", "U9", "T1", "C1", "rita", roles=REVIEWER)
OTHER_TEAM = Origin("slack", "U1", "T2", "C1", "mallory", roles=REVIEWER)


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(database_url(None, str(tmp_path / "drafts.db")))
    yield opened
    await opened.close()


@pytest.fixture
def reviews(store: Store) -> Reviews:
    return Reviews(store, Tenancy())


@pytest_asyncio.fixture
async def draft(store: Store) -> StoredDraft:
    stored = make_draft(2)
    await store.drafts.add(stored)
    return stored


async def test_a_new_draft_is_in_draft_with_the_model_text_as_revision_0(
    reviews: Reviews, draft: StoredDraft
) -> None:
    status = await reviews.status(TEAMMATE, draft.id)
    assert status.state == "draft"
    assert [(r.variant, r.number, r.text) for r in status.revisions] == [
        (0, 0, draft.variants[0].text),
        (1, 0, draft.variants[1].text),
    ]
    assert status.latest(1).author_id == "U1"
    assert status.approved is None and status.approved_text is None and status.history == ()


async def test_the_whole_round_trip_edit_changes_resubmit_approve(
    reviews: Reviews, draft: StoredDraft
) -> None:
    status = await reviews.submit(TEAMMATE, draft.id, 1, note="for the spring launch")
    assert status.state == "in_review"
    status = await reviews.edit(REVIEWER_ORIGIN, draft.id, 1, "  Spring sale: 20% off running shoes. #Sale ")
    assert status.state == "in_review"
    assert status.latest(1).number == 1
    assert status.latest(1).text == "Spring sale: 20% off running shoes. #Sale"  # trimmed
    assert status.latest(1).author_id == "U9" and status.latest(1).author_name == "rita"
    status = await reviews.request_changes(REVIEWER_ORIGIN, draft.id, "mention free returns")
    assert status.state == "changes_requested"
    final = "Spring sale: 20% off running shoes, free returns. #Sale"
    status = await reviews.edit(AUTHOR, draft.id, 1, final)
    assert status.latest(1).number == 2 and status.state == "changes_requested"
    status = await reviews.submit(AUTHOR, draft.id, 1)
    assert status.state == "in_review"
    status = await reviews.approve(REVIEWER_ORIGIN, draft.id, variant=1)
    assert status.state == "approved"
    assert status.approved is not None and (status.approved.variant, status.approved.number) == (1, 2)
    assert status.approved_text == final
    trail = [(e.action, e.actor_id, e.variant, e.revision, e.note) for e in status.history]
    assert trail == [
        ("review", "U2", 1, 0, "for the spring launch"),
        ("edit", "U9", 1, 1, None),
        ("changes", "U9", 1, 1, "mention free returns"),
        ("edit", "U1", 1, 2, None),
        ("review", "U1", 1, 2, None),
        ("approve", "U9", 1, 2, None),
    ]
    assert all(e.front_door == "slack" for e in status.history)
    assert [e.at for e in status.history] == sorted(e.at for e in status.history)
    again = await reviews.status(TEAMMATE, draft.id)  # read back from the store, not from the write
    assert again == status


async def test_approve_an_older_revision_by_number(reviews: Reviews, draft: StoredDraft) -> None:
    await reviews.submit(AUTHOR, draft.id, 0)
    await reviews.edit(AUTHOR, draft.id, 0, "A new take on the spring sale.")
    status = await reviews.approve(REVIEWER_ORIGIN, draft.id, revision=0)  # the variant under review
    assert (status.approved.variant, status.approved.number) == (0, 0)  # type: ignore[union-attr]
    assert status.approved_text == draft.variants[0].text


@pytest.mark.parametrize(
    ("steps", "action", "state"),
    [
        (["review", "approve"], "approve", "approved"),  # approving twice
        (["review", "approve"], "edit", "approved"),  # editing an approved draft
        (["review", "approve"], "review", "approved"),
        (["review", "approve"], "changes", "approved"),
        ([], "approve", "draft"),  # not sent yet
        ([], "changes", "draft"),
        (["review"], "review", "in_review"),  # sent twice
        (["review", "changes"], "approve", "changes_requested"),
    ],
)
async def test_illegal_transitions_are_conflicts_that_change_nothing(
    reviews: Reviews, draft: StoredDraft, steps: list[str], action: str, state: str
) -> None:
    for step in steps:
        await _do(reviews, draft.id, step)
    before = await reviews.status(AUTHOR, draft.id)
    with pytest.raises(ReviewConflict) as caught:
        await _do(reviews, draft.id, action)
    assert caught.value.state == state
    message = user_message(caught.value)
    assert f"(state: {state})" in message and "Allowed now:" in message
    assert await reviews.status(AUTHOR, draft.id) == before


async def test_approving_twice_says_the_draft_is_already_approved(
    reviews: Reviews, draft: StoredDraft
) -> None:
    await _do(reviews, draft.id, "review")
    await _do(reviews, draft.id, "approve")
    with pytest.raises(ReviewConflict, match=r"already approved.*an approved draft is final"):
        await _do(reviews, draft.id, "approve")


async def test_only_reviewers_approve_or_request_changes(reviews: Reviews, draft: StoredDraft) -> None:
    await reviews.submit(AUTHOR, draft.id, 0)
    with pytest.raises(NotAllowed, match="only reviewers can approve drafts; ask") as caught:
        await reviews.approve(AUTHOR, draft.id, 0)
    assert caught.value.role == "reviewer"
    with pytest.raises(NotAllowed, match="only reviewers can request changes"):
        await reviews.request_changes(TEAMMATE, draft.id, "shorter")
    status = await reviews.status(AUTHOR, draft.id)
    assert status.state == "in_review" and len(status.history) == 1  # nothing changed


async def test_edits_are_for_the_author_or_a_reviewer(reviews: Reviews, draft: StoredDraft) -> None:
    with pytest.raises(NotAllowed, match="author or a reviewer"):
        await reviews.edit(TEAMMATE, draft.id, 0, "A teammate's rewrite.")
    same_user_other_door = Origin("discord", "U1", "T1")
    with pytest.raises(DraftNotFound):  # a Discord guild is another team
        await reviews.edit(same_user_other_door, draft.id, 0, "x")
    assert (await reviews.edit(AUTHOR, draft.id, 0, "The author's rewrite.")).latest(0).number == 1
    assert (await reviews.edit(REVIEWER_ORIGIN, draft.id, 0, "A reviewer's.")).latest(0).number == 2


async def test_an_edit_that_changes_nothing_writes_nothing(reviews: Reviews, draft: StoredDraft) -> None:
    status = await reviews.edit(AUTHOR, draft.id, 0, draft.variants[0].text + "  ")
    assert status.latest(0).number == 0 and status.history == ()


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        ("edit_empty", "text", "empty"),
        ("edit_long", "text", "allows at most 280"),
        ("edit_variant", "variant", "between 0 and 1"),
        ("submit_variant", "variant", "between 0 and 1"),
        ("approve_revision", "revision", "has no revision 7; its revisions are 0"),
        ("approve_negative", "revision", "0 or more"),
        ("changes_blank", "note", "a note is required"),
        ("note_long", "note", "at most 2000"),
    ],
)
async def test_bad_input_names_the_field_and_what_is_allowed(
    reviews: Reviews, draft: StoredDraft, call: str, field: str, words: str
) -> None:
    if call.startswith(("approve", "changes")):
        await reviews.submit(AUTHOR, draft.id, 0)
    calls = {
        "edit_empty": lambda: reviews.edit(AUTHOR, draft.id, 0, "   "),
        "edit_long": lambda: reviews.edit(AUTHOR, draft.id, 0, "x" * 281),
        "edit_variant": lambda: reviews.edit(AUTHOR, draft.id, 2, "text"),
        "submit_variant": lambda: reviews.submit(AUTHOR, draft.id, -1),
        "approve_revision": lambda: reviews.approve(REVIEWER_ORIGIN, draft.id, 0, revision=7),
        "approve_negative": lambda: reviews.approve(REVIEWER_ORIGIN, draft.id, 0, revision=-1),
        "changes_blank": lambda: reviews.request_changes(REVIEWER_ORIGIN, draft.id, " "),
        "note_long": lambda: reviews.submit(AUTHOR, draft.id, 0, note="n" * 2001),
    }
    with pytest.raises(InvalidOption, match=words) as caught:
        await calls[call]()
    assert caught.value.field == field


async def test_another_teams_draft_is_not_found(reviews: Reviews, draft: StoredDraft) -> None:
    for call in (
        reviews.status(OTHER_TEAM, draft.id),
        reviews.submit(OTHER_TEAM, draft.id, 0),
        reviews.edit(OTHER_TEAM, draft.id, 0, "mine now"),
        reviews.approve(OTHER_TEAM, draft.id, 0),
        reviews.request_changes(OTHER_TEAM, draft.id, "no"),
    ):
        with pytest.raises(DraftNotFound, match=f"no such draft: '{draft.id}'"):
            await call
    assert (await reviews.status(AUTHOR, draft.id)).history == ()


async def test_the_assistant_offers_the_reviews_over_its_store_and_tenancy(
    store: Store, catalog: Catalog, app_config: AppConfig
) -> None:
    assistant = Assistant(_no_engine, store, catalog, app_config)
    assert assistant.reviews.store is store and assistant.reviews.tenancy is assistant.tenancy


def _no_engine() -> DraftService:
    raise AssertionError("reviews never generate")


async def _do(reviews: Reviews, draft_id: str, action: str) -> None:
    if action == "review":
        await reviews.submit(AUTHOR, draft_id, 0)
    elif action == "edit":
        await reviews.edit(AUTHOR, draft_id, 0, "An edit.")
    elif action == "approve":
        await reviews.approve(REVIEWER_ORIGIN, draft_id, 0)
    else:
        await reviews.request_changes(REVIEWER_ORIGIN, draft_id, "change it")
