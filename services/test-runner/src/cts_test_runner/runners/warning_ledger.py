"""Warnings that Mix will not print twice.

Mix recompiles a file only when its content (digest) or a dependency changed, and Elixir 1.14
keeps no warnings in its manifest. A fixture file with an unused variable warns on the run
that compiles it and is silent on the next one, though the warning is still there. The ledger,
kept beside the build it describes, remembers each file's warnings keyed by its digest and
replays them while the file is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cts_contracts import Diagnostic

LEDGER_NAME = "cts-warnings.json"


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class WarningLedger:
    def __init__(self, build_dir: Path, workspace: Path) -> None:
        self._path = build_dir / LEDGER_NAME
        self._workspace = workspace.resolve()
        self._entries: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def _digest(self, relative: str) -> str | None:
        target = (self._workspace / relative).resolve()
        if self._workspace not in target.parents:
            return None
        return file_digest(target)

    def reconcile(self, compiled: Iterable[str], fresh: list[Diagnostic]) -> list[Diagnostic]:
        """Record this compile's warnings; return them plus those of files not recompiled."""
        compiled_now = set(compiled) | {w.file for w in fresh if w.file}
        for relative in compiled_now:
            mine = [w.model_dump(mode="json") for w in fresh if w.file == relative]
            digest = self._digest(relative)
            if mine and digest is not None:
                self._entries[relative] = {"digest": digest, "warnings": mine}
            else:
                self._entries.pop(relative, None)
        replayed: list[Diagnostic] = []
        for relative, entry in list(self._entries.items()):
            if relative in compiled_now:
                continue
            if self._digest(relative) != entry.get("digest"):
                del self._entries[relative]
                continue
            replayed.extend(Diagnostic.model_validate(w) for w in entry.get("warnings", []))
        self._save()
        return fresh + replayed

    def _save(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._entries), encoding="utf-8")
        tmp.replace(self._path)
