"""
sharing.memory: what a large transfer freed goes back to the system. Run in a
fresh interpreter, so nothing else in the test process moves its memory.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A thread frees 40 MiB of 1 MiB buffers (the way a transfer does), each with a
# small object kept after it, so none of the freed memory is at the top of the heap.
SCRIPT = """
import threading
from sharing.memory import release_freed_memory

def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024

kept = []

def transfer():
    bytearray(2 << 20)  # freed at once: malloc then keeps such sizes in its heap
    buffers = []
    for _ in range(40):
        buffers.append(bytearray(1 << 20))
        kept.append(bytearray(1000))  # past pymalloc: from the same heap
    del buffers

worker = threading.Thread(target=transfer)
worker.start()
worker.join()
before = rss()
assert release_freed_memory()
print(before - rss())
"""


def test_memory_a_transfer_freed_goes_back_to_the_system():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert float(result.stdout) > 30  # MiB of the 40 freed
