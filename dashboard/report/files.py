"""Writing report files atomically, and checking an output path before any work is done."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early (before minutes of queries) when ``path`` cannot be written.

    Raises
    ------
    ValueError
        The path is a directory, its folder does not exist, or the folder is not writable.
    """
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"cannot write {out}: it is a directory")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot write {out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {out}: folder {folder} is not writable")
    if out.exists() and not os.access(out, os.W_OK):
        raise ValueError(f"cannot write {out}: the file exists and is read-only")
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A reader (or a mail merge picking up last month's file) never sees half a workbook, and
    a failure leaves no file behind, not even the temporary one. Beside, not in /tmp, so the
    rename stays on one file system and is atomic.
    """
    out = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
