"""Made-up brand histories for the learning-loop tests (written for them; no real brand)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

SIGN_OFF = "— Team Acme"
PRODUCTS = [
    "trail running shoes",
    "rain jackets",
    "camping stoves",
    "hiking socks",
    "water bottles",
    "headlamps",
    "sleeping bags",
    "day backpacks",
    "two-person tents",
    "trekking poles",
    "sun hats",
    "fleece vests",
]
NEWS = [
    "are back in stock",
    "just landed in our shop",
    "come in a new spring colour",
    "are ready for your next weekend outside",
    "are on the front table this week",
]
BODY = [
    "Come by and try them on.",
    "Ask our staff for a fitting.",
    "See them in store today.",
    "We picked every one with care.",
]
PLATFORMS = ["x", "instagram", "facebook", "linkedin"]
TONES = ["casual", "professional", "inspirational"]


def acme_posts(count: int = 60) -> list[dict[str, Any]]:
    """Short posts that always end with the brand's sign-off."""
    out = []
    for i in range(count):
        product, news = PRODUCTS[i % len(PRODUCTS)], NEWS[(i // len(PRODUCTS)) % len(NEWS)]
        out.append(
            {
                "text": f"Our {product} {news}. {BODY[i % len(BODY)]} {SIGN_OFF}",
                "brief": f"{product} {news}",
                "platform": PLATFORMS[i % len(PLATFORMS)],
                "tone": TONES[i % len(TONES)],
                "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "likes": 10 + i,
                "shares": i % 7,
            }
        )
    return out


def damaged_posts(count: int = 40) -> list[dict[str, Any]]:
    """The same brand's voice, but every post full of numbers no brief gave."""
    out = []
    for i in range(count):
        product = PRODUCTS[i % len(PRODUCTS)]
        out.append(
            {
                "text": f"Our {product}: {20 + i}% off, {3 + i} colours, {100 + 7 * i} sold since "
                f"{1 + i % 11}:{10 + i % 49} on {1 + i % 12}/{1 + i % 28}, only ${9 + i}.99 at "
                f"{100 + i} Pine St. {SIGN_OFF}",
                "brief": f"{product} for the weekend",
                "platform": "x",
                "tone": "casual",
            }
        )
    return out


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path
