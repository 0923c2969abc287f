"""
Crash points, for the crash-consistency tests: a worker killed outright
(SIGKILL, as by the OOM killer or a lost machine) at any storage step.

With ``PYSECRETS_FAULTS`` naming a file, every call of the store contract, and
every ``write`` and ``commit`` of a blob writer, reads that file before and
after it runs. When the file names the step and the moment
(``records.claim_view:after``), the process deletes the file, so exactly one
process of all the workers acts on it, and kills itself on the spot. When it
says ``trace``, each step appends its name to ``<file>.trace`` instead, so a
test learns the steps an operation takes.

Unset, as in production, nothing is wrapped: the stores are exactly as built
and no step costs anything more.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

ENV = "PYSECRETS_FAULTS"
TRACE = "trace"


def with_fault_points(store, contract: type, role: str):
    path = os.environ.get(ENV)
    if not path:
        return store
    control = Path(path)
    for name, member in vars(contract).items():
        if name.startswith("_") or name in ("close", "setup", "check") or not callable(member):
            continue
        setattr(store, name, _step(getattr(store, name), control, f"{role}.{name}"))
    if hasattr(store, "open_write"):
        store.open_write = _writer_steps(store.open_write, control, role)
    return store


def _reached(control: Path, step: str, moment: str) -> None:
    try:
        armed = control.read_text().strip()
    except FileNotFoundError:
        return
    if armed == TRACE:
        if moment == "before":
            with open(f"{control}.trace", "a") as trace:
                trace.write(step + "\n")
        return
    if armed != f"{step}:{moment}":
        return
    try:
        control.unlink()
    except FileNotFoundError:
        return  # another worker took it first
    os.kill(os.getpid(), signal.SIGKILL)


def _step(call, control: Path, step: str):
    def stepped(*args, **kwargs):
        _reached(control, step, "before")
        result = call(*args, **kwargs)
        _reached(control, step, "after")
        return result

    return stepped


def _writer_steps(open_write, control: Path, role: str):
    def opened(*args, **kwargs):
        writer = open_write(*args, **kwargs)
        for name in ("write", "commit"):
            setattr(writer, name, _step(getattr(writer, name), control, f"{role}.writer.{name}"))
        return writer

    return opened
