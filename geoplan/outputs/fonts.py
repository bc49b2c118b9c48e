"""Fonts for Chinese text on maps and in reports: Noto Sans CJK SC from Debian's ``fonts-noto-cjk``.

:func:`cjk_font` finds the face with :mod:`matplotlib.font_manager`; without it, maps fall back to DejaVu Sans (which
matplotlib ships) with English labels, and :meth:`FontFace.drawable` shortens names to what the face can draw, so no
glyph goes missing. The PDF report embeds the same face.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

__all__ = ["CJK_FAMILY", "NOTO_CJK_DIR", "FontFace", "cjk_font", "text_font"]

#: Folder of Debian's ``fonts-noto-cjk`` (OpenType collections with CFF outlines).
NOTO_CJK_DIR = Path("/usr/share/fonts/opentype/noto")

#: The CJK family used for Chinese text (Simplified Chinese glyph forms).
CJK_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True)
class FontFace:
    """A font file and the face to use in it.

    Attributes
    ----------
    path : pathlib.Path
        Font file (TrueType, OpenType or a collection of either).
    index : int
        Face number in a collection (``.ttc``), 0 for a single font.
    family : str
        Family name of the face.
    cjk : bool
        Whether the face has Chinese glyphs.
    """

    path: Path
    index: int
    family: str
    cjk: bool

    @functools.cached_property
    def charset(self) -> frozenset[int]:
        """Code points the face has glyphs for."""
        from matplotlib import ft2font

        return frozenset(ft2font.FT2Font(str(self.path), face_index=self.index).get_charmap())

    def properties(self, size: float) -> FontProperties:
        """Return matplotlib font properties that select exactly this face."""
        return FontProperties(fname=font_manager.FontPath(str(self.path), self.index), size=size)

    def drawable(self, text: str, fallback: str = "") -> str:
        """Return ``text`` without the characters this face cannot draw (``fallback`` if nothing is left)."""
        charset = self.charset
        kept = "".join(char for char in text if ord(char) in charset or char.isspace()).strip()
        return kept if any(ord(char) in charset and not char.isspace() for char in kept) else fallback


@functools.cache
def cjk_font(bold: bool = False) -> FontFace | None:
    """Find the Noto Sans CJK SC face in Debian's ``fonts-noto-cjk`` files.

    Parameters
    ----------
    bold : bool
        Bold face instead of the regular one.

    Returns
    -------
    FontFace or None
        The face (path and index in the ``.ttc`` collection), or None when the fonts are not installed.
    """
    from matplotlib import ft2font

    wanted = "Bold" if bold else "Regular"
    paths = sorted(font_manager.findSystemFonts(fontpaths=[str(NOTO_CJK_DIR)], fontext="otf"))
    for path in paths:
        if "Sans" not in Path(path).name or wanted not in Path(path).name:
            continue
        try:
            faces = ft2font.FT2Font(path).num_faces
            for index in range(faces):
                face = ft2font.FT2Font(path, face_index=index)
                if face.family_name == CJK_FAMILY:
                    return FontFace(Path(path), index, CJK_FAMILY, cjk=True)
        except (OSError, RuntimeError, ValueError):
            continue
    return None


@functools.cache
def _fallback_font(bold: bool = False) -> FontFace:
    """DejaVu Sans, which matplotlib ships: Latin, Greek and Cyrillic only."""
    props = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return FontFace(Path(font_manager.findfont(props, fallback_to_default=True)), 0, "DejaVu Sans", cjk=False)


def text_font(bold: bool = False) -> FontFace:
    """Return the face for text: Noto Sans CJK SC when installed, else DejaVu Sans (see :func:`cjk_font`)."""
    return cjk_font(bold) or _fallback_font(bold)
