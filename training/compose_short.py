"""Write the short-brief half of the starter set from hand-written building blocks (data/blocks/).

Why compose rather than write 700 posts one by one: the issue asks for many one-line briefs in every
tone × platform cell; the blocks (120 subjects with their own details and typed briefs, and per-tone
openers, closers and reflections) are all hand-written for this project, and the composition below
only picks and arranges them. Each post uses only the facts its brief gives (a `fact_line` appears only
when its `fact_brief` was the brief) and speaks as "we". The dataset tests check near-duplicates over
the whole set, so templating that repeats itself would fail them.

Run: `python -m training.compose_short` (deterministic; rewrites the two short-briefs.jsonl files).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
BLOCKS = REPO / "data" / "blocks"
OUT = {
    "train": REPO / "data" / "starter" / "train" / "short-briefs.jsonl",
    "heldout": REPO / "data" / "starter" / "heldout" / "short-briefs.jsonl",
}
TONES = ["professional", "casual", "persuasive", "inspirational", "fomo", "witty", "empathetic", "luxury"]
PLATFORMS = ["instagram", "x", "facebook", "linkedin"]
POSTS_PER_SUBJECT = 6
HELDOUT_SUBJECTS = 2  # the last two subjects of each industry
MAX_BRIEF = 90
MAX_LENGTH = {"instagram": 110, "x": 70, "facebook": 130, "linkedin": 170}
# How people type a one-line brief around the subject (all hand-written).
BRIEF_FRAMES = [
    "{b}",
    "{b}",
    "{b}",
    "{b}",
    "need a post: {b}",
    "{b} pls",
    "{b}!!",
    "quick post - {b}",
    "{b}, keep it short",
    "can you write: {b}",
    "{b} (for our page)",
    "Post idea: {b}",
]


@dataclass(frozen=True)
class Subject:
    industry: str
    topic: str
    briefs: list[str]
    fact_briefs: list[str]
    fact_line: str | None
    details: list[str]
    tags: list[str]


def load_subjects() -> list[Subject]:
    subjects: list[Subject] = []
    for path in sorted(BLOCKS.glob("subjects_*.yaml")):
        for industry, items in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            for item in items:
                subjects.append(
                    Subject(
                        industry=industry,
                        topic=item["topic"],
                        briefs=item["briefs"],
                        fact_briefs=item.get("fact_briefs", []),
                        fact_line=item.get("fact_line"),
                        details=item["details"],
                        tags=item["tags"],
                    )
                )
    return subjects


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class Composer:
    def __init__(self, tones: dict[str, dict[str, list[str]]], seed: int = 11) -> None:
        self.tones = tones
        self.rng = random.Random(seed)
        # distinct (opener, closer) pairs per tone × platform cell, so no two posts of a cell share both
        self.pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}

    def _pair(self, tone: str, platform: str) -> tuple[str, str]:
        key = (tone, platform)
        if not self.pairs.get(key):
            blocks = self.tones[tone]
            pairs = [(o, c) for o in range(len(blocks["openers"])) for c in range(len(blocks["closers"]))]
            self.rng.shuffle(pairs)
            self.pairs[key] = pairs
        o, c = self.pairs[key].pop()
        return self.tones[tone]["openers"][o], self.tones[tone]["closers"][c]

    def brief(self, subject: Subject, index: int) -> tuple[str, bool]:
        """(brief, gives_fact): roughly every third post of a subject with a fact gets the fact brief."""
        if subject.fact_briefs and index % 3 == 1:
            return subject.fact_briefs[index % len(subject.fact_briefs)], True
        base = subject.briefs[index % len(subject.briefs)]
        frame = self.rng.choice(BRIEF_FRAMES)
        if base.lower().startswith(("post", "promo")) and frame != "{b}":
            frame = "{b}"  # "need a post: post for ..." is not how anyone types
        framed = frame.format(b=base)
        return (framed if len(framed) <= MAX_BRIEF else base), False

    def post(self, subject: Subject, tone: str, platform: str, index: int, with_fact: bool) -> str:
        opener, closer = self._pair(tone, platform)
        opener = _cap(opener.format(topic=subject.topic))
        n_details = {"x": 1, "instagram": 2, "facebook": 3, "linkedin": 3}[platform]
        start = (index * 2) % len(subject.details)
        details = [subject.details[(start + k) % len(subject.details)] for k in range(n_details)]
        fact = [subject.fact_line] if with_fact and subject.fact_line else []
        reflection = self.rng.choice(self.tones[tone]["reflections"])
        tags = ["#" + t for t in subject.tags]
        if platform == "x":
            tags = tags[: 1 + index % 2]
            for body in (
                " ".join([opener, *fact, *details, closer]),
                " ".join([opener, *fact, closer]),
                " ".join([opener, *fact]),
            ):
                text = f"{body}\n\n{' '.join(tags)}"
                if len(text) <= 280:
                    return text
            raise ValueError(f"no x post fits 280 characters for {subject.topic!r}")
        if platform == "instagram":
            tags = tags[: 2 + index % 2]
            middle = " ".join([*fact, *details])
            return f"{opener}\n\n{middle}\n\n{closer}\n\n{' '.join(tags)}"
        if platform == "facebook":
            tags = tags[: index % 3]
            middle = " ".join([*fact, *details])
            text = f"{opener}\n\n{middle} {reflection}\n\n{closer}"
            return f"{text}\n\n{' '.join(tags)}" if tags else text
        lines = [opener, " ".join([*details[:2], *fact]), f"{details[2]} {reflection}", closer]
        return "\n\n".join([*lines, " ".join(tags[:3])])


def compose(seed: int = 11) -> dict[str, list[dict[str, Any]]]:
    tones = yaml.safe_load((BLOCKS / "tones.yaml").read_text(encoding="utf-8"))
    composer = Composer(tones, seed)
    by_industry: dict[str, list[Subject]] = {}
    for subject in load_subjects():
        by_industry.setdefault(subject.industry, []).append(subject)
    out: dict[str, list[dict[str, Any]]] = {"train": [], "heldout": []}
    counter = 0
    for industry, subjects in by_industry.items():
        for number, subject in enumerate(subjects):
            split = "heldout" if number >= len(subjects) - HELDOUT_SUBJECTS else "train"
            for j in range(POSTS_PER_SUBJECT):
                tone = TONES[(counter + j) % len(TONES)]  # 6 distinct tones per subject
                platform = PLATFORMS[(counter // 2 + j) % len(PLATFORMS)]
                brief, with_fact = composer.brief(subject, j)
                text = composer.post(subject, tone, platform, j, with_fact)
                out[split].append(
                    {
                        "prompt": brief,
                        "platform": platform,
                        "tone": tone,
                        "industry": industry,
                        "max_length": MAX_LENGTH[platform],
                        "text": text,
                        "source": "composed:data/blocks",
                    }
                )
            counter += 1
    return out


def main() -> int:
    for split, rows in compose().items():
        OUT[split].write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        print(f"{OUT[split].relative_to(REPO)}: {len(rows)} posts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
