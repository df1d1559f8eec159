"""The brand voice rewrite: persona sentences out, "I" -> "we" outside quotes, verbs agreeing."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.postprocess import finalize
from bot.quality import scoring
from bot.voice import drop_persona, first_person_singular, speak_as_we


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I love our new garden tools.", "We love our new garden tools."),
        ("I'm thrilled: 20% off this weekend.", "We're thrilled: 20% off this weekend."),
        ("And I was surprised. Come see me!", "And we were surprised. Come see us!"),
        ("My team and I am proud of my shop.", "Our team and we are proud of our shop."),
        ("I've got news, I’ll share it myself.", "We've got news, we’ll share it ourselves."),
        ("First off, I think it's great.", "First off, we think it's great."),
    ],
)
def test_first_person_becomes_we(raw: str, expected: str) -> None:
    assert speak_as_we(raw) == expected
    assert not first_person_singular(speak_as_we(raw))


def test_quoted_customer_keeps_their_i() -> None:
    text = 'Our customers say "I love it" and I agree.'
    assert speak_as_we(text) == 'Our customers say "I love it" and we agree.'


def test_hashtags_and_handles_are_not_words() -> None:
    assert speak_as_we("New drop today.\n\n#MyStyle #Me") == "New drop today.\n\n#MyStyle #Me"


def test_chat_persona_sentences_are_dropped() -> None:
    # the evaluation's own samples (SmolLM2's chat persona leaking into a brand post)
    raw = (
        "Hi there, I'm Alex, a creative writing assistant. I'm always happy to help. "
        "Our new e-reader has warm light.\n\n#Reader"
    )
    assert drop_persona(raw) == "Our new e-reader has warm light.\n\n#Reader"


def test_all_persona_is_kept_but_no_longer_first_person() -> None:
    raw = "Hi. I'm Emily, a tech writer. What brings you here today?"
    out = speak_as_we(raw)
    assert out.startswith("Hi. We're Emily")  # nothing else to keep; the score ranks it last anyway
    assert not first_person_singular(out)


def test_finalize_applies_the_voice_only_when_asked(catalog: Catalog) -> None:
    raw = "I restocked my oversized hoodie in oatmeal. Come and see me!"
    assert finalize(raw, "facebook", catalog, hashtags=False).text == raw
    voiced = finalize(raw, "facebook", catalog, hashtags=False, brand_voice=True).text
    assert voiced == "We restocked our oversized hoodie in oatmeal. Come and see us!"


def test_score_voice_reads_the_raw_text() -> None:
    args = {"brief": "hoodie restock", "sources": ["hoodie restock"], "typical_words": (5, 50)}
    rewritten = scoring.score(
        raw="I restocked my hoodie.",
        final="We restocked our hoodie.",
        complete_ending=True,
        tone_agreement=0.5,
        **args,  # type: ignore[arg-type]
    )
    born = scoring.score(
        raw="We restocked our hoodie.",
        final="We restocked our hoodie.",
        complete_ending=True,
        tone_agreement=0.5,
        **args,  # type: ignore[arg-type]
    )
    assert rewritten.voice == 0.0 and born.voice == 1.0 and born.total > rewritten.total
