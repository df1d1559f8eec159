"""Next-token choice per row: greedy rows in one argmax, sampled rows with their own generator."""

from __future__ import annotations

import torch

from engine.types import MIN_TEMPERATURE, SamplingParams


def _filter_top_k_top_p(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    if top_k > 0 and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative - torch.softmax(sorted_logits, dim=-1) > top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(0, order, sorted_logits)
    return logits


def apply_repetition_penalty(row: torch.Tensor, seen: list[int], penalty: float) -> torch.Tensor:
    if penalty == 1.0 or not seen:
        return row
    ids = torch.tensor(sorted(set(seen)), dtype=torch.long, device=row.device)
    picked = row.index_select(0, ids)
    row = row.clone()
    row[ids] = torch.where(picked > 0, picked / penalty, picked * penalty)
    return row


def ban_tokens(row: torch.Tensor, banned: tuple[tuple[int, ...], ...], history: list[int]) -> torch.Tensor:
    """transformers' NoBadWordsLogitsProcessor for one row: the last token of every banned sequence
    whose other tokens the row has just written gets -inf, so the sequence can never complete."""
    blocked = [
        seq[-1] for seq in banned if len(seq) == 1 or history[len(history) - len(seq) + 1 :] == list(seq[:-1])
    ]
    if not blocked:
        return row
    row = row.clone()
    row[torch.tensor(blocked, dtype=torch.long, device=row.device)] = float("-inf")
    return row


def choose_tokens(
    logits: torch.Tensor,
    params: list[SamplingParams],
    history: list[list[int]],
    generators: list[torch.Generator | None],
    banned: list[tuple[tuple[int, ...], ...]] | None = None,
) -> list[int]:
    """logits: [B, V] (last position). Returns one token id per row. `banned`: per row, the token
    sequences it must not complete (SamplingParams.banned_phrases, tokenized)."""
    logits = logits.float()
    bans = banned if banned is not None else [()] * len(params)
    plain_greedy = [
        i
        for i, p in enumerate(params)
        if p.temperature < MIN_TEMPERATURE and p.repetition_penalty == 1.0 and not bans[i]
    ]
    chosen: list[int] = [0] * len(params)
    if plain_greedy:
        idx = torch.tensor(plain_greedy, device=logits.device)
        for i, tok in zip(plain_greedy, logits.index_select(0, idx).argmax(-1).tolist(), strict=True):
            chosen[i] = tok
    greedy_set = set(plain_greedy)
    for i, p in enumerate(params):
        if i in greedy_set:
            continue
        row = apply_repetition_penalty(logits[i], history[i], p.repetition_penalty)
        row = ban_tokens(row, bans[i], history[i])
        if p.temperature < MIN_TEMPERATURE:  # tiny temperatures overflow to NaN: treat as greedy
            chosen[i] = int(row.argmax())
            continue
        row = _filter_top_k_top_p(row / p.temperature, p.top_k, p.top_p)
        probs = torch.nan_to_num(torch.softmax(row, dim=-1), nan=0.0)
        if float(probs.sum()) <= 0.0:
            chosen[i] = int(row.argmax())
            continue
        chosen[i] = int(torch.multinomial(probs, 1, generator=generators[i]))
    return chosen
