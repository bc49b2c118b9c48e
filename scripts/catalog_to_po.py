"""Move the texts of the Python dict ``geoplan.i18n.CATALOG`` into the gettext catalogs, and empty the dict.

Usage::

    .venv/bin/python scripts/catalog_to_po.py            # move, then print what moved
    .venv/bin/python scripts/catalog_to_po.py --check    # exit 1 if the dict still holds a text (moves nothing)

Each entry ``CATALOG[section][key] = {"zh": ..., "en": ...}`` becomes one message in each of
``geoplan/locale/zh_CN/LC_MESSAGES/geoplan.po`` and ``geoplan/locale/en/LC_MESSAGES/geoplan.po``: msgctxt =
section, msgid = key, msgstr = that language's text (the layout :mod:`geoplan.i18n` explains), with the other
language's text as a translator comment and the ``python-brace-format`` flag when the text has placeholders. An
entry already in a catalog is updated (the dict is newer: someone wrote it since the last run). An entry that lacks
a language or has an empty text is left in the dict and reported; the script then exits 1.

The script is idempotent: a second run finds the dict empty and writes nothing. It reads the dict from the source
(with :mod:`ast`, without importing geoplan) and rewrites only the ``CATALOG = {...}`` statement of
geoplan/i18n.py, keeping the empty sections so that new entries have a place to go.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import io
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

#: The checkout worked on (``--root`` changes it: the tests run the script on a copy).
ROOT = Path(__file__).resolve().parents[1]
LOCALES = {"zh": "zh_CN", "en": "en"}
DOMAIN = "geoplan"

_HEADER = """\
# geoplan's texts in {language}: msgctxt = catalog section, msgid = key (see geoplan/i18n.py).
# Chinese is written first, English is a translation; each message's comment gives the other language.
# Edit the texts here; scripts/catalog_to_po.py moves new entries of geoplan.i18n.CATALOG into these files.
#"""
_LANGUAGE_NAMES = {"zh": "Chinese (zh_CN, the default)", "en": "English"}


def _module() -> Path:
    return ROOT / "geoplan" / "i18n.py"


def _po_path(lang: str) -> Path:
    return ROOT / "geoplan" / "locale" / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def _catalog_node(source: str) -> ast.AnnAssign | ast.Assign:
    """Return the ``CATALOG = {...}`` statement of the module's source."""
    for node in ast.parse(source).body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(target, ast.Name) and target.id == "CATALOG" for target in targets):
            return node
    raise SystemExit(f"{_module()}: no CATALOG assignment found")


def _read(lang: str) -> Catalog:
    path = _po_path(lang)
    if path.exists():
        with path.open("rb") as handle:
            return read_po(handle, locale=LOCALES[lang], domain=DOMAIN)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return Catalog(locale=LOCALES[lang], domain=DOMAIN, project="geoplan", version="0.1.0",
                   header_comment=_HEADER.format(language=_LANGUAGE_NAMES[lang]), creation_date=now,
                   revision_date=now, language_team=_LANGUAGE_NAMES[lang], last_translator="geoplan developers",
                   msgid_bugs_address="the geoplan issue tracker", fuzzy=False)  # fmt: skip


def _write(lang: str, catalog: Catalog) -> None:
    catalog.revision_date = dt.datetime.now(dt.UTC).replace(microsecond=0)
    buffer = io.BytesIO()
    # width=0: one line per msgid/msgstr, so a changed text is a one-line diff.
    write_po(buffer, catalog, width=0, include_previous=False, include_lineno=False)
    path = _po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _problem(entry: object) -> str | None:
    """Return why an entry cannot move (None when it can)."""
    if not isinstance(entry, dict) or set(entry) != set(LOCALES):
        return "needs exactly the languages zh and en"
    if any(not isinstance(value, str) or not value.strip() for value in entry.values()):
        return "has an empty text"
    if _fields(entry["zh"]) != _fields(entry["en"]):
        return f"placeholders differ: zh {sorted(_fields(entry['zh']))}, en {sorted(_fields(entry['en']))}"
    return None


def _empty_source(left: dict[str, dict[str, dict[str, str]]], indent: str = "    ") -> str:
    """Return the source of the CATALOG statement holding only ``left`` (every section kept, maybe empty)."""
    lines = [
        "#: Texts not yet moved into the gettext catalogs (read after them): add a new text here, in its section,",
        "#: zh and en both; scripts/catalog_to_po.py moves it into geoplan/locale/*/LC_MESSAGES/geoplan.po.",
        "CATALOG: dict[str, dict[str, dict[str, str]]] = {",
    ]
    for section, entries in left.items():
        if not entries:
            lines.append(f"{indent}{section!r}: {{}},".replace("'", '"'))
            continue
        lines.append(f'{indent}"{section}": {{')
        for key, entry in entries.items():
            pairs = ", ".join(f"{lang!r}: {value!r}" for lang, value in entry.items())
            lines.append(f"{indent * 2}{key!r}: {{{pairs}}},")
        lines.append(f"{indent}}},")
    lines.append("}")
    return "\n".join(lines)


def _set_root(root: Path) -> None:
    global ROOT  # noqa: PLW0603 - one checkout per run, chosen on the command line
    ROOT = root.resolve()


def main(argv: list[str] | None = None) -> int:
    """Move the dict's entries into the .po catalogs (or, with ``--check``, only say whether any is left)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if CATALOG still holds an entry; change nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this script's)")
    args = parser.parse_args(argv)
    _set_root(args.root)
    source = _module().read_text("utf-8")
    node = _catalog_node(source)
    pending: dict[str, dict[str, dict[str, str]]] = ast.literal_eval(node.value)
    count = sum(len(entries) for entries in pending.values())
    if args.check:
        print(f"{count} text(s) still in geoplan.i18n.CATALOG")
        return 1 if count else 0
    catalogs = {lang: _read(lang) for lang in LOCALES}
    moved, updated, left = 0, 0, {section: {} for section in pending}
    for section, entries in pending.items():
        for key, entry in entries.items():
            problem = _problem(entry)
            if problem:
                print(f"kept in CATALOG: {section}.{key}: {problem}", file=sys.stderr)
                left[section][key] = entry
                continue
            olds = {lang: catalog.get(key, context=section) for lang, catalog in catalogs.items()}
            updated += any(old is not None and old.string != entry[lang] for lang, old in olds.items())
            for lang, catalog in catalogs.items():
                other = next(name for name in LOCALES if name != lang)
                flags = ["python-brace-format"] if _fields(entry[lang]) else []
                comments = [f"{other}: {entry[other]}"]
                if olds[lang] is not None:
                    # Catalog.add keeps an existing message's text: update the message in place (and in its place).
                    olds[lang].string, olds[lang].auto_comments = entry[lang], comments
                else:
                    catalog.add(key, entry[lang], flags=flags, auto_comments=comments, context=section)
            moved += 1
    if moved:
        for lang, catalog in catalogs.items():
            _write(lang, catalog)
    new_statement = _empty_source(left)
    lines = source.splitlines(keepends=True)
    start, end = node.lineno - 1, node.end_lineno
    # The comment lines right above the statement belong to it (they are rewritten with it).
    while start > 0 and lines[start - 1].startswith("#:"):
        start -= 1
    rewritten = "".join(lines[:start]) + new_statement + "\n" + "".join(lines[end:])
    if rewritten != source:
        _module().write_text(rewritten, "utf-8")
    print(f"moved {moved} text(s) into {', '.join(str(_po_path(lang).relative_to(ROOT)) for lang in LOCALES)}"
          f" ({updated} replaced an older text); {sum(map(len, left.values()))} left")  # fmt: skip
    return 1 if any(left.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
