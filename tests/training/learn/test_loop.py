"""`postpulse learn` end to end on the embedded model and a real SQLite store (issue 19):
- too little new data: refused, saying how much there is and how much is needed, and recorded;
- 60 imported posts that all end "— Team Acme": the trained version is promoted, and on the same
  briefs it signs off in most drafts where the shipped adapter signs off in almost none;
- a second run on posts full of invented numbers: trained from the promoted version, rejected by
  the gate, and the reason names the guard;
- rollback restores the previous version (then the shipped adapter).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from adapters.cli import main
from bot.config import load_config
from bot.store import Store, database_url, open_store
from tests.training.learn.conftest import write_configs
from tests.training.learn.posts import acme_posts, damaged_posts, write_jsonl
from training.learn.report import text_table

pytestmark = pytest.mark.model
T = TypeVar("T")
STEPS, DAMAGED_STEPS = 6, 6  # batch 4 (conftest): 24 posts seen in each run


def with_store(app_file: Path, work: Callable[[Store], Awaitable[T]]) -> T:
    config = load_config(app_file)

    async def run() -> T:
        store = await open_store(database_url(None, config.store.path))
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@dataclass
class Run:
    app_file: Path
    train_file: Path
    summary: dict[str, Any]
    report: dict[str, Any]


def learn(app_file: Path, train_file: Path, steps: int) -> dict[str, Any]:
    code, out, err = cli(
        "learn", "--brand", "acme", "--max-steps", str(steps), "--backend", "cpu", "--json",
        "--config", str(app_file), "--train-config", str(train_file),
    )  # fmt: skip
    assert code == 0, err
    return dict(json.loads(out))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("learn")
    # 6 guard drafts: one draft is 0.167, so the tolerance lets one draft's sampling noise through and
    # no more (the damaged candidate below must be worse by two drafts or more)
    app_file, train_file = write_configs(root, {"tolerance": 0.2})
    posts = write_jsonl(acme_posts(60), root / "acme.jsonl")
    assert cli("brand", "import", "--brand", "acme", str(posts), "--config", str(app_file))[0] == 0
    summary = learn(app_file, train_file, STEPS)
    report = json.loads((Path(summary["path"]) / "eval.json").read_text())
    print("\nfirst run:", json.dumps({k: summary[k] for k in ("outcome", "reason", "steps", "seconds")}))
    print("sign-off rate: shipped", report["current"]["style"], "-> promoted", report["candidate"]["style"])
    print(text_table(summary["metrics"], "promoted", "shipped"))
    return Run(app_file, train_file, summary, report)


@pytest.fixture(scope="module")
def damaged(first: Run) -> Run:
    posts = write_jsonl(damaged_posts(40), first.app_file.parent / "damaged.jsonl")
    assert cli("brand", "import", "--brand", "acme", str(posts), "--config", str(first.app_file))[0] == 0
    summary = learn(first.app_file, first.train_file, DAMAGED_STEPS)
    report = json.loads((Path(summary["path"]) / "eval.json").read_text())
    print("\ndamaged run:", json.dumps({k: summary[k] for k in ("outcome", "reason", "steps", "seconds")}))
    print(text_table(summary["metrics"], "damaged", "acme/v1"))
    return Run(first.app_file, first.train_file, summary, report)


def test_too_little_new_data_is_refused_and_recorded(tmp_path: Path) -> None:
    app_file, train_file = write_configs(tmp_path)
    posts = write_jsonl(acme_posts(10), tmp_path / "few.jsonl")
    assert cli("brand", "import", "--brand", "acme", str(posts), "--config", str(app_file))[0] == 0
    code, out, err = cli(
        "learn", "--brand", "acme", "--config", str(app_file), "--train-config", str(train_file)
    )
    assert code == 2 and out == ""
    assert "brand 'acme' has" in err and "a run needs at least 20 (learn.min_new_examples)" in err
    run = with_store(app_file, lambda s: s.adapters.last_run("acme"))
    assert run is not None and run.outcome == "too_little" and run.version is None
    assert run.summary is not None and run.summary["data"]["needed"] == 20
    assert with_store(app_file, lambda s: s.adapters.history("acme")) == []


def test_the_promoted_version_signs_off_like_the_brand(first: Run) -> None:
    s, report = first.summary, first.report
    assert s["outcome"] == "promoted", s["reason"]
    assert s["label"] == "acme/v1" and s["steps"]["sft"] == STEPS and s["steps"]["dpo"] == 0
    assert report["brand_rates"]["sign_off_phrase"] == "Team Acme"
    assert report["brand_rates"]["sign_off"] == 1.0
    # the same held-out briefs and seeds for both adapters
    assert report["candidate"]["style"]["sign_off"] > 0.5
    assert report["current"]["style"]["sign_off"] <= 1 / 6  # at most one draft of the six
    assert report["current"]["adapter"].endswith("training/lora/postpulse-smollm2")
    assert {r["metric"] for r in s["metrics"]} >= {"brand_nll", "invented", "specifics_kept", "fragments"}
    version_dir = Path(s["path"])
    assert version_dir.name == "v1" and version_dir.parent.name == "acme"
    for name in ("adapter_config.json", "adapter_model.safetensors", "postpulse.json", "README.md"):
        assert (version_dir / name).is_file(), name
    assert "Learning loop: acme/v1" in (version_dir / "README.md").read_text()
    assert json.loads((version_dir / "postpulse.json").read_text())["learn"]["version"] == 1
    promoted = with_store(first.app_file, lambda st: st.adapters.in_state("acme", "promoted"))
    assert promoted is not None and promoted.version == 1 and promoted.report is not None
    run = with_store(first.app_file, lambda st: st.adapters.last_run("acme", trained=True))
    assert run is not None and run.version == 1 and run.data_until is not None


def test_the_gate_rejects_a_candidate_that_invents_numbers(damaged: Run) -> None:
    s = damaged.summary
    assert s["outcome"] == "rejected"
    assert s["label"] == "acme/v2" and s["parent"] == "acme/v1"
    assert s["data"]["examples"] == 40  # only what is new since v1's run
    assert "guard invented" in s["reason"], s["reason"]
    failed = {r["metric"] for r in s["metrics"] if not r["passed"]}
    assert "invented" in failed
    v2 = with_store(damaged.app_file, lambda st: st.adapters.get("acme", 2))
    assert v2 is not None and v2.state == "rejected" and "invented" in (v2.reason or "")
    serving = with_store(damaged.app_file, lambda st: st.adapters.in_state("acme", "promoted"))
    assert serving is not None and serving.version == 1


def test_rollback_restores_the_previous_version(damaged: Run) -> None:
    app = str(damaged.app_file)
    # an operator promoted v2 by hand anyway; one command brings v1 back
    with_store(damaged.app_file, lambda st: st.adapters.decide("acme", 2, "promoted", "by hand"))
    code, out, _ = cli("learn", "rollback", "--brand", "acme", "--config", app)
    assert code == 0 and "acme/v1 now serves" in out
    states = with_store(damaged.app_file, lambda st: st.adapters.history("acme"))
    assert [(v.version, v.state) for v in states] == [(2, "rejected"), (1, "promoted")]
    code, out, _ = cli("learn", "rollback", "--brand", "acme", "--config", app)
    assert code == 0 and "the configured adapter (no learned version left) now serves" in out
    code, _, err = cli("learn", "rollback", "--brand", "acme", "--config", app)
    assert code == 2 and "no promoted adapter version to roll back" in err
