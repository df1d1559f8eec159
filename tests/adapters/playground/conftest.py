"""Real headless Chromium (Debian's, driven by Playwright) against a real sidecar on loopback.

The browser is launched once per session; each test gets a fresh context (no shared storage) and
leaves a full-page screenshot under tests/artifacts/playground/ whether it passed or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.catalog import Catalog
from bot.config import AppConfig
from engine.backends.transformers.async_engine import AsyncEngine
from tests.adapters.http.support import Server, serving, tuned

playwright_api = pytest.importorskip("playwright.async_api")
from playwright.async_api import Browser, Page  # noqa: E402  (after the skip check)

CHROMIUM = os.environ.get("POSTPULSE_CHROMIUM", "/usr/bin/chromium")
# Nothing may leave loopback: no QUIC, no component or safe-browsing updates, no sync.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "playground"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def playground_config(app_config: AppConfig, tmp_path_factory: pytest.TempPathFactory) -> AppConfig:
    """No rate limit (one browser sends every request), a SQLite store of this session's own, and
    room for a slow draft on a busy box (the page streams meanwhile; CI takes seconds)."""
    config = tuned(app_config, http={"rate_limit_per_minute": 0}, engine={"request_timeout_s": 300})
    store_file = tmp_path_factory.mktemp("playground-store") / "postpulse.db"
    return config.model_copy(update={"store": config.store.model_copy(update={"path": str(store_file)})})


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playground(
    playground_config: AppConfig, engine: AsyncEngine, catalog: Catalog
) -> AsyncIterator[Server]:
    async with serving(playground_config, engine, catalog=catalog, env={}) as srv:
        yield srv


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup-chromium.sh (make test does)")
    async with playwright_api.async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


def _artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


async def snapshot(page: Page, name: str) -> None:
    """A screenshot of a moment inside a test (the fixture takes one at the end of every test)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _page(
    browser: Browser, request: pytest.FixtureRequest, viewport: dict[str, int]
) -> AsyncIterator[Page]:
    """A fresh context; at the end a screenshot, and a failure if a script on the page threw."""
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    thrown: list[str] = []
    page.on("pageerror", lambda exc: thrown.append(str(exc)))
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{_artifact_name(request)}.png"), full_page=True)
        await context.close()
    assert not thrown, f"the page threw: {thrown}"


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    async for p in _page(browser, request, DESKTOP):
        yield p


@pytest_asyncio.fixture(loop_scope="session")
async def phone(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    async for p in _page(browser, request, PHONE):
        yield p
