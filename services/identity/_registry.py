"""The local registry of known persons: a verification provider for development and tests, loaded
from CSV by ``livetrust identity import-registry``. It keeps digests only, never names or numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from livetrust.runtime import Database

from . import _storage as store
from ._crypto import Digester
from ._idnumbers import IdType, validate_id_number
from ._providers import InlineAnswer, ProviderOutcome, ProviderResult

__all__ = ["ImportReport", "LocalRegistryProvider", "import_registry"]


class LocalRegistryProvider:
    """Matches a person only if both the name and the number are in the registry, together."""

    name = "local-registry"

    def __init__(self, *, db: Database, digester: Digester) -> None:
        self._db = db
        self._digester = digester

    async def submit(self, *, name: str, id_number: str) -> ProviderResult:
        return await self._db.read(lambda s: self._answer(s.connection(), name, id_number))

    def inline_answer(self, db: object) -> InlineAnswer | None:
        """The registry is a table of ``db`` when the service shares this provider's database."""
        return self._answer if db is self._db else None

    def _answer(self, conn: Connection, name: str, id_number: str) -> ProviderResult:
        subject, name_digest = self._digester.subject_digest(id_number), self._digester.name_digest(name)
        known = store.registry_has(conn, subject_digest=subject, name_digest=name_digest)
        if known:
            return _MATCH
        return _UNKNOWN if known is None else _MISMATCH

    async def poll(self, reference: str) -> ProviderResult:
        # The registry answers at once, so nothing is ever pending with it.
        return ProviderResult(ProviderOutcome.NO_MATCH, reference, ("PROVIDER_UNKNOWN_REFERENCE",))


_MATCH = ProviderResult(ProviderOutcome.MATCH)
_UNKNOWN = ProviderResult(ProviderOutcome.NO_MATCH, reasons=("PROVIDER_NO_MATCH", "PROVIDER_UNKNOWN_PERSON"))
_MISMATCH = ProviderResult(ProviderOutcome.NO_MATCH, reasons=("PROVIDER_NO_MATCH", "PROVIDER_NAME_MISMATCH"))


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int
    rejected_lines: tuple[int, ...]
    """CSV line numbers whose number did not validate (the numbers themselves are not echoed)."""


def import_registry(db: Database, digester: Digester, path: Path, *, today: date, now: object) -> ImportReport:
    """Load ``name,id_number[,id_type]`` rows (header required; id_type RESIDENT_ID or USCC, else inferred).
    Re-importing a person updates their name."""
    imported = 0
    rejected: list[int] = []
    rows: list[store.RegistryPersonRow] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"name", "id_number"} <= set(reader.fieldnames):
            raise ValueError("the CSV needs a header with the columns name,id_number")
        for line, record in enumerate(reader, start=2):
            name, number = (record.get("name") or "").strip(), (record.get("id_number") or "").strip()
            # An optional id_type column says which; without it, a number that validates as either counts
            # (most credit codes start with digits too, e.g. 91110108551385082Q).
            declared = (record.get("id_type") or "").strip().upper()
            if declared and declared not in IdType.__members__:
                rejected.append(line)
                continue
            kinds = [IdType[declared]] if declared else [IdType.RESIDENT_ID, IdType.USCC]
            checks = (validate_id_number(kind, number, today=today) for kind in kinds)
            check = next((c for c in checks if c.valid), None) or validate_id_number(kinds[0], number, today=today)
            if not name or not check.valid or check.normalized is None:
                rejected.append(line)
                continue
            rows.append(
                store.RegistryPersonRow(
                    subject_digest=digester.subject_digest(check.normalized),
                    name_digest=digester.name_digest(name),
                    imported_at=now,
                )
            )

    def save(session: Session) -> int:
        for row in rows:
            session.merge(row)
        return len(rows)

    imported = db.run_sync(save)
    return ImportReport(imported=imported, rejected_lines=tuple(rejected))
