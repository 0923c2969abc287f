"""
Writing a revealed file: under a safe name, complete or not at all, and never
over an existing file unless asked.

The bytes go to a hidden part file beside the target (readable by the owner
only) and take the target's name only once every byte has arrived, so an
interrupted download never leaves something that looks whole.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pysecrets_cli.errors import Trouble
from pysecrets_cli.sealing import RevealedFile

MAX_NAME_BYTES = 200  # well under every common file system's 255, leaving room for " (12)"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_name(name: str) -> str:
    """
    The sender's file name, made harmless in the current folder: no folders
    (``../``, ``/etc/...``), no control characters or terminal escapes, not
    hidden, not a device name, not too long. Falls back to ``secret``.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" or c in "\t")
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if _RESERVED.match(name):
        name = "_" + name
    while len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:-1]}.{ext}" if dot and stem and len(ext) < 16 else name[:-1]
    return name or "secret"


def free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or the first free ``name (1).ext``, ``name (2).ext``..."""
    candidate = folder / name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    number = 1
    while candidate.exists() or candidate.is_symlink():
        candidate = folder / (f"{stem} ({number}).{ext}" if ext else f"{stem} ({number})")
        number += 1
    return candidate


def receive(revealed: RevealedFile, sink: BinaryIO, progress: Callable[[int], None]) -> None:
    """Copy every chunk to ``sink``; the stream must end after exactly ``revealed.size`` bytes."""
    received = 0
    try:
        for chunk in revealed.chunks:
            received += len(chunk)
            if received > revealed.size:
                break
            sink.write(chunk)
            progress(len(chunk))
    finally:
        revealed.close()
    if received != revealed.size:
        raise Trouble(
            f"The download was cut short ({received} of {revealed.size} bytes); "
            "the view it took is spent and nothing was kept."
        )


def save(revealed: RevealedFile, target: Path, *, force: bool, progress: Callable[[int], None]) -> Path:
    """
    Write the file to ``target``; if it exists and ``force`` is false, to the
    first free name beside it instead. Returns where it went.
    """
    folder = target.parent
    part = folder / f".{target.name}.{os.getpid()}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            receive(revealed, sink, progress)
            sink.flush()
            os.fsync(sink.fileno())
        if force:
            os.replace(part, target)
            return target
        original = target.name
        while True:
            try:
                os.link(part, target)  # fails rather than replace whatever appeared meanwhile
            except FileExistsError:
                target = free_name(folder, original)
                continue
            except OSError:  # a file system without hard links: check, then rename
                if target.exists() or target.is_symlink():
                    target = free_name(folder, original)
                    continue
                os.rename(part, target)
                return target
            os.unlink(part)
            return target
    except BaseException:
        part.unlink(missing_ok=True)
        raise
