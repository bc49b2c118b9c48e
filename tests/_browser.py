"""What every browser test shares: Debian's Chromium, its flags, the skip marks and the wait.

Browser test modules take ``pytestmark = BROWSER_MARKS`` and the ``browser`` fixture of ``tests/conftest.py`` (one
headless Chromium per module), and wait on the page's own readiness signals up to :data:`WAIT_MS`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

#: Debian's Chromium, which the browser tests drive through Playwright (scripts/system-deps.sh installs it).
CHROMIUM = Path("/usr/bin/chromium")

#: Flags for a headless run on a machine with no network: without the background-networking ones Chromium keeps
#: trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Playwright's wait, ms: Playwright's own default (5 s) is too short on a busy machine, and the server builds an
#: area's street index or workspace on first use.
WAIT_MS = 30_000

#: The marks of a browser test module: slow, and skipped with the reason when Chromium or Playwright is missing.
BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: run scripts/system-deps.sh as root (Debian)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed: pip install -e '.[test]'"
    ),
]


def launch(playwright):
    """Start headless Chromium with :data:`CHROMIUM_ARGS`; Playwright's assertions wait up to :data:`WAIT_MS`."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def browser_test(test):
    """Mark one test of a module that is not all browser tests as :data:`BROWSER_MARKS` marks a whole module."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test
