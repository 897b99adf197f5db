"""The grid worker's words and photo of a quick report (我的网格), kept beside the store.

The ``incidents`` table has no text column and no place for an image, and the store has one
writer (the intake), so a report's description and photo are kept beside the store file,
written by the web process after the intake committed the case (docs/mygrid.md):

- ``<store>.photos/<sha256>.<ext>``: the photo under its content hash (the same photo twice
  is one file);
- ``<store>.notes/<case_no>.json``: ``case_no``, ``grid_code``, ``reported_at``,
  ``category_code``, ``lon``, ``lat``, ``text``, ``by`` (the account), ``photo`` (the file
  name, or null).

Notes written before this module existed are in ``<store>.reports/`` (the folder the 通报
archive also uses); :meth:`Notes.read` looks there when a note is not in ``.notes``.

Reading is by case number only (``MG`` and 18 hex digits, as
:func:`dashboard.mygrid_data.report_case_no` makes them); the caller has already found the
case in the user's jurisdiction (``cases_data.case``, the photo route).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

CASE_NO = re.compile(r"MG[0-9A-F]{18}")
PHOTO_NAME = re.compile(r"[0-9a-f]{64}\.(jpg|png|webp)")
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
LEGACY = ".reports"


def _atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Notes:
    """The notes and photos beside one store file."""

    def __init__(self, store_path: str | os.PathLike):
        base = Path(store_path)
        self.notes = base.with_name(base.name + ".notes")
        self.photos = base.with_name(base.name + ".photos")
        self.legacy = base.with_name(base.name + LEGACY)

    def keep(self, record: dict, text: str, photo: bytes, ext: str | None,
             username: str) -> str | None:
        """Write the photo (content-hash name) and the report's note; the photo's hash."""
        sha = None
        if photo:
            sha = hashlib.sha256(photo).hexdigest()
            self.photos.mkdir(exist_ok=True)
            target = self.photos / f"{sha}.{ext}"
            if not target.exists():
                _atomic(target, photo)
        self.notes.mkdir(exist_ok=True)
        note = {"case_no": record["case_no"], "grid_code": record["grid_code"],
                "reported_at": record["reported_at"], "category_code": record["category_code"],
                "lon": record["lon"], "lat": record["lat"], "text": text, "by": username,
                "photo": f"{sha}.{ext}" if sha else None}
        _atomic(self.notes / f"{record['case_no']}.json",
                json.dumps(note, ensure_ascii=False).encode())
        return sha

    def read(self, case_no: str) -> dict | None:
        """The note of ``case_no``; None for another kind of case number or no note."""
        if not isinstance(case_no, str) or not CASE_NO.fullmatch(case_no):
            return None
        for folder in (self.notes, self.legacy):
            path = folder / f"{case_no}.json"
            if path.is_file():
                note = json.loads(path.read_text(encoding="utf-8"))
                return note if note.get("case_no") == case_no else None
        return None

    def photo(self, note: dict | None) -> tuple[Path, str] | None:
        """The photo file of a note and its media type; None without one."""
        name = (note or {}).get("photo")
        found = PHOTO_NAME.fullmatch(name) if isinstance(name, str) else None
        if not found or not (self.photos / name).is_file():
            return None
        return self.photos / name, PHOTO_TYPES[found[1]]
