"""`postpulse chat` through a real pseudo-terminal (pexpect): the installed command, the real model,
a SQLite store of the test's own, readline history."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest

from bot.records import DEFAULT_TENANT, StoredDraft
from bot.store import database_url, open_store

pytestmark = pytest.mark.model

POSTPULSE = Path(sys.executable).parent / "postpulse"
PROMPT = "postpulse> "
DRAFT_ID = re.compile(r"draft ([0-9a-f]{32})")
LOAD_TIMEOUT = 180  # first line that needs the model waits for it to load (more on a busy CI box)


class Recorder:
    """pexpect's logfile_read: every chunk the terminal received, with when it arrived."""

    def __init__(self) -> None:
        self.chunks: list[tuple[float, str]] = []

    def write(self, data: str) -> None:
        self.chunks.append((time.monotonic(), data))

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(data for _, data in self.chunks)


def spawn(
    tmp_path: Path, recorder: Recorder | None = None, env: dict[str, str] | None = None
) -> pexpect.spawn:
    full_env = {
        **os.environ,
        "POSTPULSE_STORE_PATH": str(tmp_path / "drafts.db"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "NO_COLOR": "1",  # match plain text; styles are only decoration
        **(env or {}),
    }
    child = pexpect.spawn(
        str(POSTPULSE),
        ["chat", "--history", str(tmp_path / "history")],
        env=full_env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 200),
    )
    if recorder is not None:
        child.logfile_read = recorder
    child.expect("PostPulse chat")
    child.expect_exact(PROMPT)
    return child


def send(child: pexpect.spawn, line: str, expect: str | re.Pattern[str], timeout: float = 30) -> str:
    """Type a line, wait for `expect`, then for the next prompt; returns what came in between."""
    child.sendline(line)
    child.expect(expect, timeout=timeout)
    seen = child.before + child.after
    child.expect_exact(PROMPT, timeout=timeout)
    return seen + child.before


def test_brief_streams_then_remix_choose_rate_and_exit(tmp_path: Path) -> None:
    (tmp_path / "history").write_text("tones\n")  # an earlier session's line, recalled with Up
    recorder = Recorder()
    child = spawn(tmp_path, recorder)

    child.send("\x1b[A\r")  # Up arrow + Enter: readline history from the file
    child.expect("Tones")
    child.expect_exact(PROMPT)

    assert "did you mean casual?" in send(child, "tone:casul platform:x our spring sale", "did you mean")
    assert "did you mean shorter?" in send(child, "shoter", "did you mean")
    assert "rate up" in send(child, "help", "Then change the last draft")

    brief = "tone:casual platform:x variants:2 length:16 our spring sale on bikes"
    child.sendline(brief)
    child.expect_exact("Drafting a casual X (Twitter) post…", timeout=LOAD_TIMEOUT)
    drafting_at = time.monotonic()
    child.expect_exact("── Variant 1 of 2", timeout=LOAD_TIMEOUT)
    final_at = recorder.chunks[-1][0]
    child.expect_exact(PROMPT)
    shown = child.before
    streamed = [data for at, data in recorder.chunks if drafting_at <= at < final_at and data.strip()]
    assert len(streamed) >= 2, f"the draft should arrive in pieces while written, got {streamed}"
    meters = re.findall(r"(\d+) / 280 characters · (\d+) hashtags?", shown)
    assert len(meters) == 2 and "Variant 2 of 2" in shown
    (first_id,) = set(DRAFT_ID.findall(shown))

    assert "Using variant 2" in send(child, "use 2", "Using variant")
    assert f"saved for variant 2 of draft {first_id}" in send(child, "rate up", "saved for")
    remixed = send(child, "shorter", "── Variant 1 of 2", timeout=LOAD_TIMEOUT)
    assert "Drafting a shorter casual X (Twitter) post…" in remixed
    (shorter_id,) = set(DRAFT_ID.findall(remixed + child.before))
    retoned = send(child, "tone:witty", "── Variant 1 of 2", timeout=LOAD_TIMEOUT)
    assert "Drafting a witty X (Twitter) post…" in retoned

    child.sendline("exit")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0

    parent, shorter = asyncio.run(_stored(tmp_path, first_id, shorter_id))
    assert parent.origin.front_door == "console"
    assert parent.brief.tone == "casual" and parent.brief.platform == "x" and parent.brief.max_length == 16
    assert parent.chosen_variant == 1 and parent.ratings == {1: "up"}
    assert [int(count) for count, _ in meters] == [p.character_count for p in parent.variants]
    assert shorter.parent_id == first_id and shorter.action == "shorter"
    assert "tone:witty" in (tmp_path / "history").read_text()


async def _stored(tmp_path: Path, *ids: str) -> list[StoredDraft]:
    store = await open_store(database_url(None, str(tmp_path / "drafts.db")))
    try:
        return [await store.drafts.get(draft_id, DEFAULT_TENANT) for draft_id in ids]
    finally:
        await store.close()


def test_without_a_model_lists_work_errors_are_plain_and_ctrl_d_leaves(tmp_path: Path) -> None:
    """A model that cannot load (a missing file): lists still answer, a brief says why in one line,
    Ctrl-D leaves cleanly and the history is kept."""
    child = spawn(tmp_path, env={"POSTPULSE_MODEL_SOURCE": str(tmp_path / "missing.gguf")})
    send(child, "platforms", "Platforms")
    said = send(child, "tone:casual our spring sale", "could not be loaded", timeout=LOAD_TIMEOUT)
    assert "missing.gguf" in said and "Traceback" not in said
    child.sendeof()
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "history").read_text().splitlines() == ["platforms", "tone:casual our spring sale"]
