"""The playground in real headless Chromium against a real sidecar (the session's engine, loopback)."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from adapters.http.state import GUARD
from bot.catalog import Catalog
from bot.config import AppConfig
from bot.postprocess import HASHTAG
from bot.records import DEFAULT_TENANT, Origin
from bot.review import Reviews
from bot.store import database_url, open_store
from bot.tenancy import Tenancy
from engine.backends.transformers.async_engine import AsyncEngine
from engine.interface import Engine
from tests.adapters.http.support import Server, serving, tuned
from tests.adapters.playground.conftest import snapshot

pytestmark = pytest.mark.model

SHORT = "12"  # tokens per draft: enough for several streamed deltas, cheap on two cores
# A draft on a busy two-core box can take a minute; the page keeps streaming meanwhile.
GENERATION_MS = 300_000

# Every text the first draft's preview shows while it is still being written (aria-busy), in order.
RECORD_STREAM = """
window.__streamed = [];
new MutationObserver(() => {
  const card = document.querySelector("article.draft");
  const text = card && card.querySelector(".post-text");
  if (card && card.getAttribute("aria-busy") === "true" && text && text.textContent) {
    const last = window.__streamed[window.__streamed.length - 1];
    if (text.textContent !== last) window.__streamed.push(text.textContent);
  }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


async def open_playground(page: Page, url: str) -> None:
    await page.goto(url + "/")
    # Filled from /v1/catalog: the suggestions are the catalogue's names.
    await expect(page.locator("#tones option[value=casual]")).to_have_count(1)


async def fill_brief(
    page: Page, *, platform: str = "x", prompt: str = "Our spring sale: 20% off bikes"
) -> None:
    await page.get_by_label("Prompt").fill(prompt)
    await page.get_by_label("Tone", exact=True).fill("casual")
    await page.get_by_label("Platform").fill(platform)
    await page.get_by_label("Industry").fill("retail")
    await page.get_by_label("Audience").fill("weekend cyclists")
    await page.get_by_label("Voice").fill("friendly, no jargon")
    await page.get_by_label("Variants").fill("1")
    await page.get_by_label("Length").fill(SHORT)
    await page.get_by_label("Hashtags").check()


async def wait_for_draft(page: Page) -> None:
    card = page.locator("article.draft").first
    await expect(card).to_have_attribute("aria-busy", "false", timeout=GENERATION_MS)


async def test_brief_streams_into_a_draft_with_a_true_meter(page: Page, playground: Server) -> None:
    await page.add_init_script(RECORD_STREAM)
    await open_playground(page, playground.url)
    await expect(page.get_by_role("status").filter(has_text="Ready")).to_be_visible()
    await expect(page.get_by_label("API key")).to_be_hidden()  # no keys configured: no key field
    await fill_brief(page, platform="x")
    curl = await page.locator("#curl").inner_text()
    assert '"tone":"casual"' in curl and '"platform":"x"' in curl and "/generate-text" in curl
    await page.get_by_role("button", name="Generate").click()
    await wait_for_draft(page)

    streamed: list[str] = await page.evaluate("window.__streamed")
    assert len(streamed) >= 2, f"text should appear while it is written, saw {streamed}"
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(streamed))
    card = page.locator("article.draft").first
    text = await card.locator(".post-text").text_content()
    assert text and text.strip()
    meter = await card.locator(".meter .chars").inner_text()
    assert meter == f"{len(text)} / 280"  # code points, as the server counts them; X's limit
    tags = await card.locator(".meter .tags").inner_text()
    count = len(HASHTAG.findall(text))
    assert tags.startswith(f"{count} hashtag{'' if count == 1 else 's'} (X (Twitter): 1–2)")
    assert "over" not in (await card.locator(".meter").get_attribute("class") or "")


async def test_phone_width_fits_without_sideways_scroll(phone: Page, playground: Server) -> None:
    long_word = "Supercalifragilisticexpialidocious" * 3
    await open_playground(phone, playground.url)
    await fill_brief(
        phone, platform="linkedin", prompt=f"Launch of {long_word} https://example.com/{long_word}"
    )
    await phone.get_by_role("button", name="Generate").click()
    await wait_for_draft(phone)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


async def test_invalid_field_is_explained_next_to_the_form(page: Page, playground: Server) -> None:
    await open_playground(page, playground.url)
    await fill_brief(page)
    await page.get_by_label("Variants").fill("9")
    await page.get_by_role("button", name="Generate").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Variants must be")
    await expect(alert).to_contain_text("1 and 5")
    await expect(page.get_by_label("Variants")).to_have_attribute("aria-invalid", "true")
    assert await page.locator("article.draft").count() == 0


async def test_keyboard_only_with_visible_focus(page: Page, playground: Server) -> None:
    await open_playground(page, playground.url)
    await page.get_by_label("Prompt").focus()
    await page.keyboard.type("Free coffee for early birds")
    await page.keyboard.press("Tab")  # from the prompt straight to Tone (the help text is not a stop)
    focused = await page.evaluate("document.activeElement.id")
    assert focused == "tone"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert outline not in ("0px", ""), "keyboard focus must be visible"
    await page.keyboard.press("Control+a")
    await page.keyboard.type("witty")
    await page.get_by_label("Length").fill("4")
    await page.get_by_label("Prompt").focus()
    await page.keyboard.press("Control+Enter")
    await wait_for_draft(page)
    assert (await page.locator("article.draft .post-text").first.text_content() or "").strip()


class NeverLoads:
    """A loader that never finishes: the sidecar stays in its 'model loading' state."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self) -> Engine:
        await self.release.wait()
        raise RuntimeError("test over")


@pytest_asyncio.fixture(loop_scope="session")
async def loading_server(playground_config: AppConfig, catalog: Catalog) -> AsyncIterator[Server]:
    loader = NeverLoads()
    async with serving(playground_config, catalog=catalog, loader=loader, env={}) as srv:
        yield srv
        loader.release.set()


async def test_not_ready_is_said_in_plain_words(page: Page, loading_server: Server) -> None:
    await open_playground(page, loading_server.url)
    await expect(page.locator("#server-status")).to_contain_text("not ready yet")
    await fill_brief(page)
    await page.get_by_role("button", name="Generate").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "The model is not ready yet (still loading) — try again in a few seconds."
    )


@pytest_asyncio.fixture(loop_scope="session")
async def limited_server(
    playground_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> AsyncIterator[Server]:
    config = tuned(playground_config, http={"rate_limit_per_minute": 1})
    async with serving(config, engine, catalog=catalog, env={}) as srv:
        # Time stands still for the limiter, so a draft slower than a minute does not refill the bucket.
        frozen = time.monotonic()
        srv.app[GUARD].limiter.clock = lambda: frozen
        yield srv


async def test_over_the_rate_keeps_the_draft_and_says_when_to_try_again(
    page: Page, limited_server: Server
) -> None:
    """One request a minute: the first draft spends it; a remix is refused and the draft stays."""
    await open_playground(page, limited_server.url)
    await fill_brief(page)
    await page.get_by_role("button", name="Generate").click()
    await wait_for_draft(page)
    group = page.locator(".draft-group").first
    draft_id = await group.get_attribute("data-draft-id")
    text = await page.locator("article.draft .post-text").first.text_content()

    await page.get_by_role("button", name="Shorter").click()
    card_error = page.locator("article.draft .error")
    await expect(card_error).to_contain_text(re.compile(r"try again in \d+ s"))
    assert await group.get_attribute("data-draft-id") == draft_id  # nothing lost
    assert await page.locator("article.draft .post-text").first.text_content() == text
    await expect(page.get_by_role("button", name="Shorter")).to_be_enabled()

    await page.get_by_role("button", name="Generate").click()
    alert = page.locator("#form-error")
    await expect(alert).to_contain_text(re.compile(r"try again in \d+ s"))
    first = int(re.findall(r"in (\d+) s", await alert.inner_text())[0])
    assert 1 <= first <= 60
    await expect(alert).not_to_contain_text(f"in {first} s", timeout=3000)  # it counts down


async def test_previews_fold_like_the_platforms(page: Page, playground: Server) -> None:
    """The page's own preview module in the browser: Instagram folds at ~125 characters, LinkedIn
    after two lines, X shows the whole post. (No model: the text is given.)"""
    await open_playground(page, playground.url)
    long_text = " ".join(["Spring is here and every bike in the shop is twenty percent off."] * 6)
    shown = await page.evaluate(
        """async (text) => {
            const { Preview } = await import("/playground/preview.js");
            const catalog = await (await fetch("/v1/catalog")).json();
            const out = {};
            for (const name of ["instagram", "linkedin", "x"]) {
              const box = document.createElement("div");
              box.style.width = "360px";
              document.querySelector("#drafts").append(box);
              const preview = new Preview(box, catalog.platforms.find((p) => p.name === name));
              preview.set(text);
              const body = box.querySelector(".post-text");
              const toggle = box.querySelector(".fold-toggle");
              const lineHeight = parseFloat(getComputedStyle(body).lineHeight);
              out[name] = {
                text: body.textContent, lines: Math.round(body.clientHeight / lineHeight),
                toggle: toggle && !toggle.hidden ? toggle.textContent : null,
              };
              if (toggle) { toggle.click(); out[name].opened = body.textContent; }
            }
            return out;
        }""",
        long_text,
    )
    insta = shown["instagram"]
    assert insta["toggle"] == "… more"
    assert insta["text"].startswith("yourbrand") and 100 <= len(insta["text"]) - len("yourbrand") <= 125
    assert insta["opened"] == "yourbrand" + long_text
    assert shown["linkedin"]["toggle"] == "…see more" and shown["linkedin"]["lines"] == 2
    assert shown["x"]["text"] == long_text and shown["x"]["toggle"] is None


async def test_api_key_field_when_keys_are_configured(
    page: Page, playground_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> None:
    secret = "test-key-not-for-display"
    async with serving(playground_config, engine, catalog=catalog, env={"POSTPULSE_API_KEYS": secret}) as srv:
        await page.goto(srv.url + "/")
        key = page.get_by_label("API key")
        await expect(key).to_be_visible()
        await expect(page.get_by_role("alert")).to_contain_text("needs an API key")
        await key.fill(secret)
        await key.press("Tab")
        await expect(page.locator("#tones option[value=casual]")).to_have_count(1)
        curl = await page.locator("#curl").inner_text()
        assert "$POSTPULSE_API_KEY" in curl and secret not in curl


def _draft_id(value: str | None) -> str:
    assert value, "the draft should carry its stored id"
    return value


async def test_remix_replaces_the_draft_and_ratings_are_stored(
    page: Page, playground: Server, playground_config: AppConfig
) -> None:
    await open_playground(page, playground.url)
    await fill_brief(page, platform="x")
    await page.get_by_role("button", name="Generate").click()
    await wait_for_draft(page)
    group = page.locator(".draft-group").first
    first_id = _draft_id(await group.get_attribute("data-draft-id"))

    await snapshot(page, "first_draft")
    await page.get_by_role("button", name="Shorter").click()
    await expect(group).not_to_have_attribute("data-draft-id", first_id, timeout=GENERATION_MS)
    await wait_for_draft(page)
    shorter_id = _draft_id(await group.get_attribute("data-draft-id"))
    assert await page.locator("article.draft").count() == 1  # replaced, not added
    await expect(page.locator(".draft-meta").first).to_contain_text("Shorter")

    await page.get_by_label("Another tone").select_option("witty")
    await page.get_by_role("button", name="Rewrite").click()
    await expect(group).not_to_have_attribute("data-draft-id", shorter_id, timeout=GENERATION_MS)
    await wait_for_draft(page)
    witty_id = _draft_id(await group.get_attribute("data-draft-id"))
    text = await page.locator("article.draft .post-text").first.text_content()
    meter = await page.locator("article.draft .meter .chars").first.inner_text()

    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.get_by_role("button", name="Copy", exact=True).click()
    await expect(page.locator("article.draft .note").first).to_have_text("Copied to the clipboard.")
    assert await page.evaluate("navigator.clipboard.readText()") == text

    up = page.get_by_role("button", name="Rate up")
    await up.click()
    await expect(up).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("article.draft .note").first).to_contain_text("good draft")

    store = await open_store(database_url(None, playground_config.store.path))
    try:
        shorter = await store.drafts.get(shorter_id, DEFAULT_TENANT)
        witty = await store.drafts.get(witty_id, DEFAULT_TENANT)
    finally:
        await store.close()
    assert shorter.parent_id == first_id and shorter.action == "shorter"
    assert witty.parent_id == shorter_id and witty.action == "tone" and witty.brief.tone == "witty"
    assert witty.ratings == {0: "up"}
    assert witty.variants[0].text == text  # the page shows the stored, post-processed text
    assert meter == f"{witty.variants[0].character_count} / {witty.platform_limit}"


async def test_unknown_tone_says_did_you_mean_and_fixes_it(page: Page, playground: Server) -> None:
    await open_playground(page, playground.url)
    await fill_brief(page)
    await page.get_by_label("Tone", exact=True).fill("casul")
    await page.get_by_role("button", name="Generate").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Unknown tone 'casul'. Did you mean 'casual'?")
    await expect(alert).to_contain_text("Valid tones:")
    await expect(page.get_by_label("Tone", exact=True)).to_have_attribute("aria-invalid", "true")
    await snapshot(page, "unknown_tone_error")
    await page.get_by_role("button", name="Use 'casual'").click()
    await expect(page.get_by_label("Tone", exact=True)).to_have_value("casual")
    await expect(alert).to_be_hidden()


async def test_edit_in_place_send_for_review_and_approve(
    page: Page, playground: Server, playground_config: AppConfig
) -> None:
    """Without keys the page's user is author and reviewer: edit the draft where it stands, send it
    for review, approve it; the store holds the edited revision as the approved text."""
    await open_playground(page, playground.url)
    await fill_brief(page, platform="x")
    await page.get_by_role("button", name="Generate").click()
    await wait_for_draft(page)
    card = page.locator("article.draft").first
    draft_id = _draft_id(await page.locator(".draft-group").first.get_attribute("data-draft-id"))
    state = card.locator(".review-state")
    await expect(state).to_have_text("Not sent for review")
    await expect(card.get_by_role("button", name="Approve")).to_be_hidden()

    await card.get_by_role("button", name="Edit", exact=True).click()
    box = card.get_by_label("Edit the text")
    await expect(box).to_be_focused()
    await expect(card.locator(".preview")).to_be_hidden()  # the text is edited where it stood
    edited = "Spring sale: 20% off every bike this weekend. #Cycling"
    await box.fill(edited)
    await expect(card.locator(".meter .chars")).to_have_text(f"{len(edited)} / 280")  # counts as you type
    await card.get_by_role("button", name="Save edit").click()
    await expect(card.locator(".note")).to_have_text("Saved as revision 1.")
    await expect(card.locator(".post-text")).to_have_text(edited)
    await expect(state).to_have_text("Not sent for review · revision 1")

    await card.get_by_role("button", name="Send for review").click()
    await expect(state).to_have_text("In review · revision 1")
    await expect(card.get_by_role("button", name="Send for review")).to_be_hidden()
    await card.get_by_role("button", name="Approve").click()
    await expect(state).to_have_text("Approved (revision 1)")
    await expect(card.locator(".note")).to_have_text("Approved: this text is final.")
    await expect(card.get_by_role("button", name="Edit", exact=True)).to_be_hidden()
    await snapshot(page, "approved_draft")

    # A second approval from this page (another tab, say) is refused in the server's plain words.
    answer = await page.evaluate(
        """async (id) => {
            const r = await fetch(`/v1/drafts/${id}/approve`, {method: "POST",
              headers: {"Content-Type": "application/json"}, body: "{}"});
            return [r.status, (await r.json()).error.message];
        }""",
        draft_id,
    )
    assert answer[0] == 409 and "already approved" in answer[1]

    store = await open_store(database_url(None, playground_config.store.path))
    try:
        status = await Reviews(store, Tenancy()).status(Origin("playground", "anyone"), draft_id)
    finally:
        await store.close()
    assert status.state == "approved" and status.approved_text == edited
    assert [e.action for e in status.history] == ["edit", "review", "approve"]
    assert {e.front_door for e in status.history} == {"http"}  # the page is a client of the HTTP API
