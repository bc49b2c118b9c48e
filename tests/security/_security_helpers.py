"""Constants of the security suite (a module of its own: ``conftest`` names clash between test folders)."""

from __future__ import annotations

#: A name that runs script wherever it is put into a page as HTML; the probes look for its side effect.
HOSTILE_NAME = '<img src=x onerror="window.__xss=1">"\'><script>window.__xss=2</script>=HYPERLINK("http://x")'

#: Seconds an HTTP probe may take before the test fails (generous: CI machines are busy).
HTTP_TIMEOUT = 120
