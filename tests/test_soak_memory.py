"""
The soak's memory verdict judges what the workers keep: the least each held in
a minute, summed. Memory taken and given back within the minute (a
derivation's 128 MiB) moves the mean but not what is kept; a leak moves both.
"""

from soak.__main__ import kept_rss, mean_rss

MIB = 1024
DERIVATION = 128 * MIB


def minute(start: int, worker_a: list[int], worker_b: list[int]) -> list:
    return [
        (start + 5 * i, {101: a, 102: b}) for i, (a, b) in enumerate(zip(worker_a, worker_b, strict=True))
    ]


def test_memory_given_back_within_the_minute_is_not_kept():
    a = [200 * MIB + (DERIVATION if i % 3 == 0 else 0) for i in range(12)]
    b = [150 * MIB + (DERIVATION if i % 2 == 0 else 0) for i in range(12)]
    samples = minute(60, a, b)
    assert kept_rss(samples, 60, 120) == 350 * MIB
    assert mean_rss(samples, 60, 120) > 400 * MIB


def test_a_leak_raises_what_is_kept():
    steady = [150 * MIB] * 12
    samples = minute(60, [200 * MIB] * 12, steady) + minute(
        540, [240 * MIB + 1024 * i for i in range(12)], steady
    )
    early, late = kept_rss(samples, 60, 120), kept_rss(samples, 540, 600)
    assert (early, late) == (350 * MIB, 390 * MIB)


def test_only_samples_inside_the_window_count():
    samples = minute(0, [100 * MIB] * 12, [100 * MIB] * 12) + minute(60, [300 * MIB] * 12, [300 * MIB] * 12)
    assert kept_rss(samples, 60, 120) == 600 * MIB
    assert kept_rss(samples, 120, 180) == 0
