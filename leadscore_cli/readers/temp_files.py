"""Temp files for one input: stdin and pipes spooled to disk, and transcoded copies.

An input is read more than once (its first bytes, the sample, then the scan), so stdin
and pipes, which can only be read once, are copied to disk first; so is a transcoded
copy. Every temp file is removed when the input is closed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from leadscore_cli.errors import InputError
from leadscore_cli.readers.messages import _os_reason

_COPY_CHUNK = 1 << 20


class _TempFiles:
    """Temp files created for one source; all removed on exit, even on Ctrl-C."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def new(self, suffix: str) -> tuple[IO[bytes], Path]:
        fd, raw = tempfile.mkstemp(prefix="leadscore-", suffix=suffix)
        tmp = Path(raw)
        self.paths.append(tmp)
        return os.fdopen(fd, "wb"), tmp

    def spool(self, stream: IO[bytes], name: str) -> Path:
        """Copy a non-seekable stream to disk in bounded memory."""
        out, tmp = self.new(".spool")
        try:
            with out:
                shutil.copyfileobj(stream, out, _COPY_CHUNK)
        except OSError as exc:
            raise InputError(f"cannot read input: {_os_reason(exc)}", path=name) from exc
        return tmp

    def cleanup(self) -> None:
        for tmp in self.paths:
            tmp.unlink(missing_ok=True)
        self.paths.clear()
