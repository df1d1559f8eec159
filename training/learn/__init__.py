"""The learning loop's training half (issue 19): each brand's adapter learns from its own team.

    posts.py    `postpulse brand import`: past posts (CSV/JSONL) -> the brand's example posts
    gather.py   what is new since the brand's last trained version (approvals, pairs, imports)
    trainer.py  SFT then DPO through the existing training paths, from the current adapter
    style.py    the brand's style markers: sign-off, hashtags, emoji
    scoring.py  one adapter's figures: held-out likelihood, style, the general eval's guards
    gate.py     promote only what is better on the brand's posts and no worse on any guard
    report.py   the gate's table for --json, eval.json, the model card and the terminal
    run.py      gather -> train -> score -> gate -> record, and rollback

`bot/` never imports this package: a serving replica learns of a promotion from the store.
"""
