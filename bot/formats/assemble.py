"""One sampled answer -> a thread or a carousel in shape: parsed when the model followed the form, else
built by the deterministic splitter (bot.formats.parse says why); then the brief's specifics checked
across the parts and, where every part dropped one, restored from the brief's own sentence.

Why restore rather than resample: on a 2-core CPU another sample costs tens of seconds and a 135M
model drops a specific in a large share of them; the brief's sentence states it correctly by
definition. The same code path costs nothing on a model that keeps its facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.formats.parse import RawSlide, pack, sentences, split_carousel, split_thread
from bot.formats.parts import Finisher, Parts, Slide, ThreadPost, cap_words, missing, states
from bot.formats.shape import HEADLINE_WORDS, LINE_WORDS, CarouselPlan, ThreadPlan
from bot.postprocess import INSTRUCTION_WORDS, finalize

# Calls to action; verbs that are also nouns ("shop", "order", "book") only with what makes them verbs.
CTA = re.compile(
    r"\b(?:visit|join us|come (?:by|in|down|and|see|visit)|try|(?:order|book|shop) (?:now|today|online|yours)"
    r"|sign up|follow|read (?:more|the)|learn more|grab|discover|check out|reply|tell us|download|register"
    r"|stop by|drop by|don't miss|see you|get yours|pre-order|subscribe)\b",
    re.IGNORECASE,
)
# Said when neither the brief nor the model gave a call to action: it states nothing to check.
DEFAULT_CTA = "Tell us what you think in the replies."
DEFAULT_CTA_HEADLINE = "Your turn"
LEAD_INSTRUCTION = re.compile(r"^(?:please\s+)?(\w+)\s+(?:that\s+|about\s+)?", re.IGNORECASE)
BRIEF_LABEL = re.compile(r"^(?:share this article|key points|source|brief)\s*:\s*", re.IGNORECASE)


def brief_sentences(finisher: Finisher) -> list[str]:
    """The brief's own sentences as copy: labels and a leading instruction verb ("Announce …") off."""
    out = []
    for sentence in sentences(finisher.brief.prompt):
        sentence = BRIEF_LABEL.sub("", sentence).strip()
        lead = LEAD_INSTRUCTION.match(sentence)
        if lead and lead.group(1).lower() in INSTRUCTION_WORDS:
            sentence = sentence[lead.end() :]
        if len(sentence.split()) >= 2 and not sentence.endswith(":") and "://" not in sentence:
            out.append(sentence[:1].upper() + sentence[1:])
    return out


def call_to_action(finisher: Finisher, candidates: Sequence[str]) -> str:
    if finisher.brief.call_to_action:
        return finisher.brief.call_to_action.strip()
    found = [s for s in candidates if CTA.search(s)]
    return found[-1] if found else DEFAULT_CTA


def outline(said: list[str], finisher: Finisher, specifics: Sequence[str]) -> tuple[str, list[str], str]:
    """The splitter's hook, middle and call to action from what the model said and the brief's own
    sentences. The middle puts what carries the brief's specifics first (the model's sentences, then
    the brief's for specifics still missing), then the rest, so packing leaves out filler, not facts."""
    briefs = [s for s in brief_sentences(finisher) if s not in said]
    hook = said[0] if said else (briefs[0] if briefs else finisher.brief.prompt)
    cta = call_to_action(finisher, said[1:])
    pool = [s for s in [*said, *briefs] if s not in (hook, cta)]
    carrying = [s for s in pool if any(states(s, x) for x in specifics)]
    first: list[str] = []
    for sentence in carrying:
        if sentence in said or missing([hook, *first], [x for x in specifics if states(sentence, x)]):
            first.append(sentence)
    return hook, first + [s for s in pool if s not in first and s not in carrying], cta


def _restore(
    bodies: list[str], specifics: Sequence[str], pool: Sequence[str], limit: int, fixed: set[int]
) -> tuple[list[str], list[str]]:
    """Each specific no body states goes back in: its brief sentence appended where it fits, else in
    place of a body that states none of the specifics. `fixed`: indexes never replaced (hook, CTA)."""
    lost = missing(bodies, specifics)
    for specific in lost:
        if not missing(bodies, [specific]):
            continue  # an earlier restored sentence stated it too
        sentence = next((s for s in pool if states(s, specific)), None)
        if sentence is None:
            continue
        # the middle first, then the hook; the call to action stays last in its post
        order = [i for i in range(len(bodies)) if i not in fixed] + [min(fixed)]
        slot = next((i for i in order if len(bodies[i]) + len(sentence) + 1 <= limit), None)
        if slot is not None:
            bodies[slot] = f"{bodies[slot]} {sentence}".strip()
        else:
            bare = [i for i in order if i not in fixed and not any(states(bodies[i], s) for s in specifics)]
            if not bare:
                continue
            bodies[bare[0]] = sentence
    return bodies, [s for s in lost if not missing(bodies, [s])]


def thread(raw: str, plan: ThreadPlan, finisher: Finisher, specifics: Sequence[str]) -> Parts:
    removed: list[str] = []

    def clean(text: str) -> str:
        cleaned, gone = finisher.clean(text)
        removed.extend(gone)
        return cleaned

    n, limit = plan.posts, plan.body_limit
    bodies = [b for b in (clean(p) for p in split_thread(raw)) if b]
    fallback = len(bodies) < n
    if fallback:
        said = [c for c in (clean(s) for s in sentences(raw)) if c]  # numbering off before the guard
        hook, middle, cta = outline(said, finisher, specifics)
        bodies = [hook, *pack(middle, n - 2, limit), cta]
    elif len(bodies) > n:
        bodies = [*bodies[: n - 1], bodies[-1]]  # the last one is the call to action
    pool = brief_sentences(finisher)
    bodies, restored = _restore(bodies, specifics, pool, limit, fixed={0, len(bodies) - 1})
    total = len(bodies)
    posts = tuple(
        ThreadPost(i + 1, total, finisher.post(body, limit, tags=i == total - 1))
        for i, body in enumerate(bodies)
    )
    return Parts(
        "thread",
        plan.platform,
        posts=posts,
        fallback=fallback,
        restored=tuple(restored),
        removed=tuple(dict.fromkeys(removed)),
    )


def _slide(number: int, headline: str, line: str, finisher: Finisher) -> Slide:
    head = cap_words(finisher.untagged(headline), HEADLINE_WORDS, headline=True)
    text = cap_words(finisher.untagged(line), LINE_WORDS, headline=False)
    return Slide(number, head or cap_words(text, HEADLINE_WORDS, headline=True), text)


def fallback_slides(hook: str, middle: list[str], cta: str, n: int) -> list[RawSlide]:
    """Slides from sentences: a short sentence (a headline already) takes the next one as its line,
    a long one is its own line under a shortened headline; the last slide is the call to action."""
    queue: list[str] = [hook, *middle]
    slides: list[RawSlide] = []
    while queue and len(slides) < n - 1:
        sentence = queue.pop(0)
        short = len(sentence.split()) <= HEADLINE_WORDS
        line = queue.pop(0) if short and len(queue) > max(0, n - 2 - len(slides)) else sentence
        slides.append(RawSlide(sentence, line))
    if len(slides) < 2:  # a carousel has 3 slides or more: the hook's sentence serves twice
        slides.append(RawSlide(slides[-1].line if slides else hook, slides[-1].line if slides else hook))
    short_cta = cta == DEFAULT_CTA or len(cta.split()) <= HEADLINE_WORDS
    return [*slides, RawSlide(DEFAULT_CTA_HEADLINE if short_cta else cta, cta)]


def carousel(raw: str, plan: CarouselPlan, finisher: Finisher, specifics: Sequence[str]) -> Parts:
    removed: list[str] = []

    def clean(text: str) -> str:
        cleaned, gone = finisher.clean(text)
        removed.extend(gone)
        return cleaned

    n = plan.slides
    parsed, caption_raw = split_carousel(raw)
    untag = finisher.untagged  # slides carry no hashtags: "#Opening hours" is a headline
    slides = [RawSlide(clean(untag(s.headline)), clean(untag(s.line))) for s in parsed]
    slides = [s for s in slides if s.headline and s.line]
    fallback = len(slides) < n
    if fallback:
        said = [c for c in (clean(s) for s in sentences(raw)) if c]  # numbering off before the guard
        slides = fallback_slides(*outline(said, finisher, specifics), n)
    elif len(slides) > n:
        slides = [*slides[: n - 1], slides[-1]]
    built = [_slide(i + 1, s.headline, s.line, finisher) for i, s in enumerate(slides)]
    # The caption: the model's, else the slides' lines; it carries the hashtags and any restored fact.
    caption_text = clean(caption_raw) or " ".join(s.text for s in built[: min(2, len(built))])
    restored = []
    for specific in missing([s.text for s in built] + [caption_text], specifics):
        sentence = next((s for s in brief_sentences(finisher) if states(s, specific)), None)
        if sentence and not states(caption_text, specific):
            caption_text = f"{caption_text} {sentence}".strip()
            restored.append(specific)
    brief = finisher.brief
    caption = finalize(
        caption_text,
        plan.platform,
        finisher.catalog,
        hashtags=brief.hashtags,
        industry=brief.industry,
        topic=brief.prompt,
        sources=finisher.sources,
    ).text
    return Parts(
        "carousel",
        plan.platform,
        slides=tuple(built),
        caption=caption,
        fallback=fallback,
        restored=tuple(restored),
        removed=tuple(dict.fromkeys(removed)),
    )
