"""
Folders and files only the service's user may open, whatever the umask.

DATA_DIR holds salts and wrapped keys (enough to guess a chosen passphrase
offline), encrypted files and the operators' sessions. Modes are set
explicitly rather than left to the umask, which is often 022 and sometimes 0.
No Django here: the local store uses this too.
"""

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | os.PathLike) -> Path:
    """
    Create ``path`` (and missing parents) as 0700. A folder that already
    exists keeps its mode: it may be shared on purpose (a mount point, /tmp),
    and what the service puts inside it is private anyway.
    """
    path = Path(path)
    if path.is_dir():
        return path
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another worker
        os.chmod(folder, DIR_MODE)
    return path


def private_file(path: str | os.PathLike) -> Path:
    """
    Create ``path`` empty as 0600 if it is missing; take group and other
    access from it if not. An existing file is never opened: closing any
    descriptor of a file drops every POSIX lock this process holds on it,
    SQLite's included, and with the lock that says a connection is open
    gone, another process that closes its last connection deletes the WAL
    this one is still writing to. Its commits would be lost.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except FileExistsError:
        if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
            os.chmod(path, FILE_MODE)
    else:
        os.close(fd)  # a file made just now: nobody holds a lock on it yet
    return path
