"""The example posts closest to a brief: style references for the prompt (bot.prompts).

TF-IDF over words and word pairs, cosine similarity to the brief: cheap (milliseconds for the few
hundred examples a kit holds), needs no second model, and picks examples about the same product or
occasion, which is what a small model imitates best. Run in a worker thread (bot.drafts).
"""

from __future__ import annotations

from collections.abc import Sequence

EXAMPLES_IN_PROMPT = 3
# The examples' share of the prompt: about 150 tokens, so a kit never pushes a brief out of a
# 1,024-token context (the vLLM tests' max_model_len) next to the longest draft.
EXAMPLES_BUDGET_CHARS = 600
EXAMPLE_CLIP_CHARS = 280


def clip(text: str, limit: int = EXAMPLE_CLIP_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def closest(
    brief: str, examples: Sequence[str], k: int = EXAMPLES_IN_PROMPT, budget: int = EXAMPLES_BUDGET_CHARS
) -> list[str]:
    """Up to `k` examples, most similar first, clipped, within `budget` characters in all. Ties
    (no shared words) keep the kit's order, so the choice is deterministic."""
    if not examples or k <= 0:
        return []
    # Imported here, as bot.quality.tone does: scikit-learn takes about a second to load, which a
    # server whose kits hold no examples never pays.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    order = list(range(len(examples)))
    if len(examples) > 1:
        try:
            matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([brief, *examples])
            scores = linear_kernel(matrix[0:1], matrix[1:]).ravel()
            order.sort(key=lambda i: (-float(scores[i]), i))
        except ValueError:  # nothing but stop words and punctuation: keep the kit's order
            pass
    chosen: list[str] = []
    used = 0
    for i in order:
        text = clip(examples[i])
        if used + len(text) > budget:
            continue
        chosen.append(text)
        used += len(text)
        if len(chosen) == k:
            break
    return chosen
