"""The derivation cap holds across processes, across threads, and across both at once."""

import multiprocessing
import time

from sharing.kdfgate import DerivationGate
from tests.support.crowd import all_at_once, hold, hold_in_threads, most_at_once


def run_crowd(gate, crowd=8, seconds=0.15):
    return all_at_once(hold, (gate, seconds), crowd)


def test_no_more_than_slots_derive_at_once(tmp_path):
    spans = run_crowd(DerivationGate(tmp_path, slots=2))
    assert most_at_once(spans) == 2


def test_threads_of_one_process_are_capped(tmp_path):
    spans = hold_in_threads(DerivationGate(tmp_path, slots=2), threads=6, seconds=0.1)
    assert most_at_once(spans) == 2


def test_processes_and_their_threads_are_capped_together(tmp_path):
    # Monotonic time is one clock for every process on the machine, so the spans compare.
    gate = DerivationGate(tmp_path, slots=3)
    crowds = all_at_once(hold_in_threads, (gate, 4, 0.08), 4)
    spans = [span for crowd in crowds for span in crowd]
    assert len(spans) == 16
    assert most_at_once(spans) == 3


def test_one_slot_serialises(tmp_path):
    spans = run_crowd(DerivationGate(tmp_path, slots=1), crowd=4, seconds=0.05)
    assert most_at_once(spans) == 1


def test_a_slot_comes_back_when_its_holder_dies(tmp_path):
    gate = DerivationGate(tmp_path, slots=1)
    ctx = multiprocessing.get_context("fork")
    held = ctx.Event()

    def hold_and_die():
        with gate():
            held.set()
            time.sleep(60)

    holder = ctx.Process(target=hold_and_die)
    holder.start()
    assert held.wait(10)
    holder.kill()
    holder.join()
    began = time.monotonic()
    with gate():
        pass
    assert time.monotonic() - began < 1


def test_the_service_derives_through_the_gate(settings, tmp_path, post_json):
    settings.DATA_DIR = tmp_path
    settings.MAX_DERIVATIONS = 3
    # Only a person's own passphrase is stretched, so only it passes the gate.
    assert post_json("/api/text/", {"secret": "s", "passphrase": "a passphrase of mine"}).status_code == 201
    assert sorted(p.name for p in (tmp_path / "kdf-slots").iterdir()) == ["slot-0", "slot-1", "slot-2"]
