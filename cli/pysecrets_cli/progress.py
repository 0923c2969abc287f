"""A progress bar on standard error, for people watching a terminal; silent for scripts."""

from __future__ import annotations

import sys
import time
from typing import TextIO

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_size(n: float) -> str:
    for unit in UNITS:
        if n < 1024 or unit == UNITS[-1]:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class Progress:
    """
    Counts bytes toward ``total`` and redraws one line at most ten times a
    second. Drawn only when ``stream`` is a terminal, so pipes and logs stay clean.
    """

    WIDTH = 30

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None, enabled: bool = True):
        self.total, self.label = total, label
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn_at >= 0.1 or self.done >= self.total):
            self._drawn_at = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * self.WIDTH)
        rate = self.done / max(now - self.started, 1e-6)
        line = (
            f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%} "
            f"{human_size(self.done)} of {human_size(self.total)}, {human_size(rate)}/s "
        )
        self.stream.write(line)
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._drawn_at:
            self.stream.write("\r\033[K")
            self.stream.flush()
