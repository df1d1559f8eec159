"""The training package's one error tree.

The CLI turns every `TrainingError` into one line on stderr and exit code 2, so messages must say
what is wrong and where (file, line, key) without a traceback. Catch specific classes first.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base of every error the training package raises on purpose."""


class DatasetError(TrainingError):
    """A dataset file is missing or invalid; `problems` holds one `file:line: field: msg` each."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        shown = self.problems[:10]
        more = len(self.problems) - len(shown)
        detail = "".join(f"\n  {p}" for p in shown) + (f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(message + detail)


class ImportMappingError(TrainingError):
    """`data import` got a column mapping or input file it cannot use."""


class TrainConfigError(TrainingError):
    """configs/training.yaml (or an override) is invalid; the message names the key."""


class BackendUnavailable(TrainingError):
    """The requested training path cannot run here (e.g. the GPU path without CUDA or unsloth)."""


class CheckpointError(TrainingError):
    """A checkpoint to resume from is missing or does not match the run."""


class AdapterError(TrainingError):
    """An adapter directory is missing, incomplete or unusable for evaluation."""


class LearnError(TrainingError):
    """`postpulse learn` or `postpulse brand import` cannot go on; the message says why."""


class UnknownBrand(LearnError):
    """The brand is neither configured (`brands:`) nor `default`."""


class TooLittleData(LearnError):
    """Fewer new approved texts and pairs than `learn.min_new_examples` since the last trained run."""

    def __init__(self, message: str, have: int, need: int) -> None:
        self.have = have
        self.need = need
        super().__init__(message)
