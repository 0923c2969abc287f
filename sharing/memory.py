"""
Giving a large transfer's freed memory back to the system.

glibc's malloc keeps what a thread frees in that thread's arena for reuse and
returns memory to the system only from the top of a heap. A file streaming
through a worker leaves megabytes of freed buffers behind (the server's body
reader, the multipart parser, the cipher's chunks, the storage client's
reads), scattered through the arena, so the worker's resident set would stay
near the highest any transfer took it, for its whole life. ``malloc_trim``
hands the free pages of every arena back and leaves what is in use where it
is. It walks the arenas' free lists under their locks: cheap (a fraction of a
millisecond), but not worth it after every request, so it is called when a
transfer of ``LARGE_TRANSFER`` bytes or more ends.

Where the C library has no ``malloc_trim`` (musl, macOS), this does nothing.
"""

from __future__ import annotations

import ctypes

# Below this a transfer's buffers are few, and the next request reuses them.
LARGE_TRANSFER = 4 * 1024 * 1024


def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # the C library this process runs on
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()


def release_freed_memory() -> bool:
    """Return the free pages malloc holds to the system; whether the C library could."""
    if _trim is None:
        return False
    _trim(0)
    return True
