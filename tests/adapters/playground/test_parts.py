"""The playground's threads, carousels, sibling drafts and link field, in real headless Chromium.

A thread is written by the real sidecar and model and previewed post by post. The layout checks
(each post's copy button, a carousel's caption under its slides) use a fixed /generate-text answer
from the browser's own request routing (Playwright `route`), shaped as the sidecar returns it, so
they can name exact texts. Sibling drafts and the link field go to the real sidecar and model.
"""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, Route, expect

from tests.adapters.http.support import Server
from tests.adapters.playground.test_page import GENERATION_MS, fill_brief, open_playground

pytestmark = pytest.mark.model

THREAD = [
    "1/3 Acme's Widget 3 is here: a pocket espresso maker that heats water in 90 seconds.",
    "2/3 It is 30% lighter than the Widget 2 and makes 40 cups on one charge.",
    "3/3 $149, shipping March 14. Pre-order on the Acme website. #Espresso #Acme",
]
SLIDES = [
    {"headline": "Meet the Widget 3", "text": "A pocket espresso maker from Acme."},
    {"headline": "Hot water in 90 seconds", "text": "Heats fast, wherever you are."},
    {"headline": "30% lighter", "text": "Makes 40 cups on one charge."},
]
CAPTION = "The Widget 3 ships March 14 for $149. #Espresso"


def answer(parts: list, caption: str | None = None) -> dict:
    """A /generate-text body with parts, as the formats work returns it (generated_text: the parts
    joined by blank lines)."""
    texts = [p if isinstance(p, str) else f"{p['headline']}\n{p['text']}" for p in parts]
    text = "\n\n".join(texts + ([caption] if caption else []))
    body = {
        "generated_text": text,
        "generation_time": "1.0s",
        "word_count": len(text.split()),
        "variants": [
            {"text": text, "word_count": len(text.split()), "character_count": len(text), "hashtags": []}
        ],
        "parts": parts,
    }
    return body | ({"caption": caption} if caption else {})


async def serve_once(page: Page, body: dict) -> list[dict]:
    """Answer the page's next POST /generate-text with `body`; the requests it sent are recorded."""
    sent: list[dict] = []

    async def fulfil(route: Route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    await page.route("**/generate-text", fulfil)
    return sent


async def test_the_real_model_s_thread_is_previewed_post_by_post(page: Page, playground: Server) -> None:
    await open_playground(page, playground.url)
    await fill_brief(page, platform="x", prompt="48-hour flash sale: 40% off all running shoes")
    await page.get_by_label("Format").select_option("thread")
    await page.get_by_label("Posts or slides").fill("2")
    await page.get_by_role("button", name="Generate").click()

    posts = page.locator("article.draft .thread .thread-post")
    await expect(posts).to_have_count(2, timeout=GENERATION_MS)
    texts = [await posts.nth(i).locator(".post-text").inner_text() for i in range(2)]
    assert [t.split(" ", 1)[0] for t in texts] == ["1/2", "2/2"], texts
    assert all(len(t) <= 280 for t in texts), texts
    assert "40%" in " ".join(texts), texts  # the brief's specific survives across the parts
    await expect(page.get_by_role("list", name="Thread of 2 posts")).to_be_visible()


async def test_a_thread_is_previewed_as_numbered_posts_each_with_its_copy_button(
    page: Page, playground: Server
) -> None:
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=playground.url)
    await open_playground(page, playground.url)
    sent = await serve_once(page, answer(THREAD))
    await fill_brief(page, platform="x")
    await page.get_by_label("Format").select_option("thread")
    await page.get_by_label("Posts or slides").fill("3")
    await page.get_by_role("button", name="Generate").click()

    posts = page.locator("article.draft .thread .thread-post")
    await expect(posts).to_have_count(3)
    assert sent[0]["format"] == "thread" and sent[0]["posts"] == 3 and sent[0]["platform"] == "x"
    for i, text in enumerate(THREAD):
        await expect(posts.nth(i).locator(".post-text")).to_have_text(text)
        await expect(posts.nth(i).locator(".part-count")).to_have_text(f"{len(text)} / 280")
    await expect(page.get_by_role("list", name="Thread of 3 posts")).to_be_visible()
    await expect(page.locator("article.draft .preview")).to_be_hidden()  # not one long post
    await page.get_by_role("button", name="Copy post 2").click()
    await expect(posts.nth(1).locator(".note")).to_have_text("Copied to the clipboard.")
    assert await page.evaluate("navigator.clipboard.readText()") == THREAD[1]


async def test_a_carousel_is_previewed_as_slides_with_the_caption_under_them(
    page: Page, playground: Server
) -> None:
    await open_playground(page, playground.url)
    sent = await serve_once(page, answer(SLIDES, CAPTION))
    await fill_brief(page, platform="instagram")
    await page.get_by_label("Format").select_option("carousel")
    await page.get_by_role("button", name="Generate").click()

    slides = page.locator("article.draft .slides .slide")
    await expect(slides).to_have_count(3)
    assert sent[0]["format"] == "carousel" and "posts" not in sent[0]  # empty: chosen by length
    for i, slide in enumerate(SLIDES):
        await expect(slides.nth(i)).to_have_attribute("aria-label", f"Slide {i + 1} of 3")
        await expect(slides.nth(i).locator(".slide-headline")).to_have_text(slide["headline"])
        await expect(slides.nth(i).locator(".slide-text")).to_have_text(slide["text"])
    caption = page.locator("article.draft .carousel-caption .post-text")
    await expect(caption).to_have_text(CAPTION)
    last_slide, under = await slides.nth(2).bounding_box(), await caption.bounding_box()
    assert last_slide and under and under["y"] > last_slide["y"] + last_slide["height"] - 1


async def test_several_platforms_show_sibling_drafts_side_by_side(page: Page, playground: Server) -> None:
    await open_playground(page, playground.url)
    await fill_brief(page, platform="x, linkedin")
    curl = await page.locator("#curl").inner_text()
    assert '"platform":["x","linkedin"]' in curl and '"stream"' not in curl
    await page.get_by_role("button", name="Generate").click()

    row = page.get_by_role("group", name="Drafts for x, linkedin")
    await expect(row).to_have_attribute("aria-busy", "false", timeout=GENERATION_MS)
    groups = row.locator(".draft-group")
    await expect(groups).to_have_count(2)
    await expect(groups.nth(0).locator(".preview")).to_have_class("preview preview-x")
    await expect(groups.nth(1).locator(".preview")).to_have_class("preview preview-linkedin")
    ids = [await groups.nth(i).get_attribute("data-draft-id") for i in range(2)]
    assert all(ids) and ids[0] != ids[1]  # each sibling is a draft of its own (its own buttons)
    left, right = await groups.nth(0).bounding_box(), await groups.nth(1).bounding_box()
    assert left and right and right["x"] >= left["x"] + left["width"] and abs(right["y"] - left["y"]) < 1
    for i, limit in enumerate((280, 3000)):
        meter = await groups.nth(i).locator(".meter .chars").inner_text()
        assert meter.endswith(f" / {limit}") and int(meter.split(" / ")[0]) <= limit
        await expect(groups.nth(i).get_by_role("button", name="Shorter")).to_be_enabled()


async def test_a_link_the_server_refuses_is_explained_at_the_link_field(
    page: Page, playground: Server
) -> None:
    """The session's sidecar keeps the default policy: a loopback page is a private address."""
    await open_playground(page, playground.url)
    await fill_brief(page, prompt="")
    await page.get_by_label("From a web page").fill("http://127.0.0.1:9/article")
    await page.get_by_role("button", name="Generate").click()
    alert = page.locator("#form-error")
    await expect(alert).to_contain_text("private or internal address")
    await expect(page.get_by_label("From a web page")).to_have_attribute("aria-invalid", "true")
    assert await page.locator("article.draft").count() == 0
