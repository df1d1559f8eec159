"""`postpulse data import`: a team's own past posts (CSV or JSONL) -> the training schema.

Why a column map: exports from schedulers and spreadsheets name columns freely ("caption",
"network", ...); `--map text=caption,platform=network` says which is which, and `--default
tone=casual` fills fields the export lacks. Every output line is validated like training data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from training.dataset import Record, compliance_problems, parse_line
from training.errors import ImportMappingError

TARGET_FIELDS = ("prompt", "platform", "tone", "industry", "audience", "max_length", "text", "source")
REQUIRED = ("prompt", "platform", "tone", "text")


def parse_pairs(spec: str | None, what: str) -> dict[str, str]:
    """'a=b,c=d' -> {'a': 'b', 'c': 'd'}; keys must be schema fields."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ImportMappingError(f"{what}: '{part.strip()}' is not field=value")
        if key not in TARGET_FIELDS:
            raise ImportMappingError(f"{what}: unknown field '{key}'; fields: {', '.join(TARGET_FIELDS)}")
        out[key] = value
    return out


@dataclass
class ImportResult:
    records: list[Record] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file:line: why"
    warnings: list[str] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) from CSV (header row = line 1) or JSONL."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames:
                    raise ImportMappingError(f"{path}: empty CSV (no header row)")
                for row in reader:
                    yield reader.line_num, row
        elif path.suffix.lower() in (".jsonl", ".ndjson"):
            with path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield number, {"__error__": f"invalid JSON: {exc.msg}"}
                        continue
                    yield number, row if isinstance(row, dict) else {"__error__": "not a JSON object"}
        else:
            raise ImportMappingError(f"{path}: unsupported file type '{path.suffix}'; use .csv or .jsonl")
    except OSError as exc:
        raise ImportMappingError(f"{path}: cannot read: {exc.strerror}") from exc


def _check_header(path: Path, mapping: dict[str, str]) -> None:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except OSError as exc:
        raise ImportMappingError(f"{path}: cannot read: {exc.strerror}") from exc
    absent = [col for col in mapping.values() if col not in header]
    if absent:
        raise ImportMappingError(
            f"{path}: no column(s) {', '.join(absent)}; columns are: {', '.join(header)}"
        )


def import_file(
    path: Path, catalog: Catalog, mapping: dict[str, str], defaults: dict[str, str]
) -> ImportResult:
    """Map, default and validate every row; bad rows are skipped with their line number."""
    result = ImportResult()
    missing = [f for f in REQUIRED if f not in mapping and f not in defaults]
    if path.suffix.lower() == ".csv":
        _check_header(path, mapping)
    for number, row in read_rows(path):
        if "__error__" in row:
            result.skipped.append(f"{path}:{number}: {row['__error__']}")
            continue
        out: dict[str, Any] = {}
        for target in TARGET_FIELDS:
            value = row.get(mapping.get(target, target)) if target in mapping or target in row else None
            if value is None or (isinstance(value, str) and not value.strip()):
                value = defaults.get(target)
            if value is not None:
                out[target] = value.strip() if isinstance(value, str) else value
        if "max_length" in out:
            try:
                out["max_length"] = int(out["max_length"])
            except (TypeError, ValueError):
                result.skipped.append(f"{path}:{number}: max_length: not an integer: {out['max_length']!r}")
                continue
        if missing and not all(out.get(f) for f in missing):
            absent_fields = [f for f in missing if not out.get(f)]
            result.skipped.append(
                f"{path}:{number}: no value for {', '.join(absent_fields)} (map a column or give --default)"
            )
            continue
        try:
            record = parse_line(json.dumps(out), catalog)
        except ValueError as exc:
            result.skipped.append(f"{path}:{number}: {exc}")
            continue
        for problem in compliance_problems(record, catalog):
            result.warnings.append(f"{path}:{number}: {problem}")
        result.records.append(record)
    return result


def write_jsonl(records: list[Record], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
