"""Memory a stage freed goes back to the system."""

from __future__ import annotations

import os
import platform

import pytest

from geoplan.memory import release_memory


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc" or not os.path.exists("/proc/self/statm"), reason="glibc only")
def test_freed_blocks_in_the_middle_of_the_heap_are_returned():
    blocks = [bytes(2000) + bytes([i % 256]) for i in range(100_000)]  # ~200 MB in malloc'd blocks (not pymalloc's)
    pinned = bytes(3000)  # allocated after them: the heap's top stays in use, so glibc cannot simply shrink it
    del blocks
    before = _rss()
    release_memory()
    after = _rss()
    assert before - after > 100 * 2**20, (before, after)
    assert len(pinned) == 3000
