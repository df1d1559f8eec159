"""Brand voice: a brand post speaks as "we", never as a chat assistant's "I".

Why a rewrite on top of the training data and the best-of-n score: the base model's chat persona
("Hi, I'm Emily, a tech writer… What brings you here today?") survives fine-tuning in a share of
samples, and with n candidates on a 2-core CPU all of them may carry it. The persona sentences are
dropped; the remaining first person singular becomes plural, which English makes almost mechanical
("I" and "we" take the same verb forms except am/was). Quoted speech (a customer's "I love it") is
left alone, and a voice that asks to speak as a person (bot.quality.scoring.voice_allows_first_person)
switches the rewrite off.
"""

from __future__ import annotations

import re

# A quotation: "…", “…”, '…' (not an apostrophe inside a word) or ‘…’.
QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|(?<!\w)'(?:[^'\n]|'(?=\w))+'(?!\w)|‘[^’\n]*’")
FIRST_PERSON = re.compile(r"(?<![\w#@-])(?:I|I'm|I’m|I've|I’ve|I'd|I’d|I'll|I’ll|me|my|mine|myself)\b")
# A sentence in which the model introduces itself or acts as a chat assistant, not as the brand.
PERSONA = re.compile(
    r"\b(?:my name is|I am|I'm|I’m)\s+(?:(?:a|an|your|the)\s+)?"
    r"(?:[A-Z][a-z]+\b(?!\s+(?:to|that|about|for|with)\b)|(?:[\w-]+\s+){0,3}"
    r"(?:assistant|writer|AI|chatbot|bot|language model|copywriter|marketer|blogger|influencer)\b)"
    r"|(?i:\bhow (?:can|may) I (?:help|assist)|\bwhat brings you\b"
    r"|\bI(?:'m|’m| am)(?: \w+)? (?:here|happy|glad) to (?:help|assist)|\bas an AI\b|\blanguage model\b)"
)
SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"'”’)\]]*|$)\s*")
SENTENCE_START = re.compile(r"(?:^|[.!?…][\"'”’)\]]*\s+|\n\s*)$")

# Pronoun forms, with the verb that "I" changes ("I am" -> "we are", "I was" -> "we were").
PLURAL = {
    "i am": "we are", "i was": "we were", "i'm": "we're", "i’m": "we’re", "i've": "we've",
    "i’ve": "we’ve", "i'd": "we'd", "i’d": "we’d", "i'll": "we'll", "i’ll": "we’ll", "i": "we",
    "me": "us", "my": "our", "mine": "ours", "myself": "ourselves",
}  # fmt: skip
REWRITE = re.compile(
    r"(?<![\w#@-])(?:I am|I was|I'm|I’m|I've|I’ve|I'd|I’d|I'll|I’ll|I|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself)\b"
)


def first_person_singular(text: str) -> bool:
    """ "I", "me", "my"… outside quotation marks."""
    return bool(FIRST_PERSON.search(QUOTED.sub(" ", text)))


def drop_persona(text: str) -> str:
    """Remove the sentences in which the model plays a chat assistant; keep the text when nothing
    else would be left (the rewrite below still makes it "we")."""
    kept_lines = []
    for line in text.split("\n"):
        sentences = [s for s in SENTENCE.findall(line) if s]
        kept = [s for s in sentences if not PERSONA.search(s)]
        if kept or not sentences:
            kept_lines.append("".join(kept).rstrip() if len(kept) < len(sentences) else line)
    result = "\n".join(kept_lines).strip()
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result if re.search(r"[A-Za-z]{3}", result.split("#")[0]) else text


def speak_as_we(text: str) -> str:
    """The brand voice: persona sentences out, "I/me/my" -> "we/us/our" outside quotes."""
    text = drop_persona(text)
    quotes = [m.span() for m in QUOTED.finditer(text)]

    def plural(match: re.Match[str]) -> str:
        word = match.group(0)
        if any(start <= match.start() < end for start, end in quotes):
            return word
        new = PLURAL[word.lower()]
        capital = SENTENCE_START.search(text[: match.start()]) or word[0] == "M"
        return new[0].upper() + new[1:] if capital else new

    return REWRITE.sub(plural, text)
