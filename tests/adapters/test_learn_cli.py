"""`postpulse learn`: `run` is the default, its options work before or after `run`, and a step
bound below one is refused by argparse with the allowed range."""

from __future__ import annotations

import pytest

from adapters.cli import build_parser


def test_run_is_the_default_and_options_go_either_side() -> None:
    parser = build_parser()
    bare = parser.parse_args(["learn", "--brand", "acme"])
    assert (bare.brand, bare.learn_command, bare.max_steps, bare.json, bare.backend) == (
        "acme",
        None,
        None,
        False,
        "auto",
    )
    before = parser.parse_args(["learn", "--brand", "acme", "--json", "run", "--max-steps", "3"])
    assert (before.brand, before.learn_command, before.max_steps, before.json) == ("acme", "run", 3, True)
    after = parser.parse_args(["learn", "run", "--brand", "acme", "--backend", "gpu"])
    assert (after.brand, after.backend) == ("acme", "gpu")
    rollback = parser.parse_args(["learn", "rollback", "--brand", "acme"])
    assert (rollback.brand, rollback.learn_command) == ("acme", "rollback")


def test_a_step_bound_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["learn", "--brand", "acme", "--max-steps", "0"])
    assert "--max-steps wants a whole number of at least 1 (got '0')" in capsys.readouterr().err
