"""The password policy: what :meth:`Store.add_user <geoplan.store.Store.add_user>` and a password change accept.

A password is refused when it is shorter than :data:`MIN_LENGTH` characters, equals the user name, is simple (one
piece repeated; only runs of letters, digits or neighbouring keys such as ``qwer1234asdf``; no letter at all and
shorter than :data:`DIGITS_ONLY_BELOW`, like a phone number or a date), or is one of the most common passwords
(:data:`geoplan.store.common_passwords.COMMON_PASSWORDS`), also with digits and symbols around it or letters
written as digits (``P@ssw0rd2024``). Long phrases of ordinary words pass: length is what makes a password hard to
guess. Each refusal is an :class:`~geoplan.errors.InputError` with a code, so people read it in their language.
"""

from __future__ import annotations

import itertools
import string

from geoplan.errors import InputError
from geoplan.store.common_passwords import COMMON_PASSWORDS

__all__ = ["DIGITS_ONLY_BELOW", "MIN_LENGTH", "check_password"]

#: Fewest characters of a password (any script: a Chinese phrase of ten characters is fine).
MIN_LENGTH = 10

#: A password without letters (digits, symbols) needs at least this many characters.
DIGITS_ONLY_BELOW = 12

#: Shortest run of letters, digits or keys that counts as one piece of a "simple" password.
_RUN = 3

#: Lines of neighbouring keys on a US keyboard (rows, and columns top-down with and without the digit row); runs go
#: both ways.
_KEYBOARD_LINES = (
    "`1234567890-=", "~!@#$%^&*()_+", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", "!qaz@wsx#edc$rfv%tgb^yhn&ujm*ik<(ol>)p:?",
    "qazwsxedcrfvtgbyhnujmikolp", "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0", "1q2w3e4r5t6y7u8i9o0p",
)  # fmt: skip

#: The key after each key along a keyboard line, one map per line and direction.
_NEXT_KEY = tuple(dict(itertools.pairwise(line)) for text in _KEYBOARD_LINES for line in (text, text[::-1]))

#: Letters people write as digits or symbols.
_UNLEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})

_AROUND = string.digits + string.punctuation + string.whitespace

#: Why a password is simple, in English and Chinese (parameters ``reason`` and ``reason_zh`` of ``password_simple``).
_REASONS = {
    "one_character": ("it is one character repeated", "只由一个字符重复组成"),
    "repeated": ("it repeats one piece", "是同一段字符的重复"),
    "runs": ("it is made of runs of letters, digits or neighbouring keys", "由连续的字母、数字或键盘上相邻的按键组成"),
    "no_letters": (f"it has no letters and fewer than {DIGITS_ONLY_BELOW} characters (like a phone number or a date)",
                   f"只有数字和符号，且少于 {DIGITS_ONLY_BELOW} 位（像手机号或日期）"),
}  # fmt: skip


def check_password(password: str, username: str = "") -> str:
    """Return ``password`` when the policy accepts it, else raise InputError saying what is wrong.

    Parameters
    ----------
    password : str
        The new password, as typed (nothing is stripped).
    username : str, optional
        The account's name: a password equal to it is refused.

    Returns
    -------
    str

    Raises
    ------
    InputError
        Code ``password_too_short`` (params ``min_length``, ``length``), ``password_is_username``,
        ``password_simple`` (``reason``, ``reason_zh``) or ``password_common``.
    """
    password = password if isinstance(password, str) else ""
    if len(password) < MIN_LENGTH:
        raise InputError(
            f"Password too short: give at least {MIN_LENGTH} characters ({len(password)} given); a phrase of a few "
            "words is easy to remember.",
            code="password_too_short", min_length=MIN_LENGTH, length=len(password),
        )  # fmt: skip
    lowered = password.lower()
    core = lowered.strip(_AROUND)
    name = (username or "").strip().lower()
    if name and name in (lowered, core, core.translate(_UNLEET)):
        raise InputError("Password: do not use the user name as the password.", code="password_is_username")
    reason = _simple(lowered)
    if reason:
        english, chinese = _REASONS[reason]
        raise InputError(
            f"Password too simple: {english}, which is guessed at once. Choose one nobody would guess, e.g. a phrase "
            "of a few unrelated words.",
            code="password_simple", reason=english, reason_zh=chinese,
        )  # fmt: skip
    if {lowered, core, lowered.translate(_UNLEET), core.translate(_UNLEET)} & COMMON_PASSWORDS:
        raise InputError(
            "Password: this is one of the most common passwords (or one with digits or symbols added), which is "
            "guessed at once. Choose one nobody would guess, e.g. a phrase of a few unrelated words.",
            code="password_common",
        )  # fmt: skip
    return password


def _simple(text: str) -> str | None:
    """Return why a lower-case password is simple (a key of :data:`_REASONS`), or None."""
    if len(set(text)) == 1:
        return "one_character"
    if _repeated(text):
        return "repeated"
    if len(text) < DIGITS_ONLY_BELOW and not any(character.isalpha() for character in text):
        return "no_letters"
    if _only_runs(text):
        return "runs"
    return None


def _repeated(text: str) -> bool:
    """Tell whether ``text`` is one shorter piece written several times (``abcabcabc``)."""
    size = len(text)
    return any(size % period == 0 and text == text[:period] * (size // period) for period in range(1, size // 2 + 1))


def _only_runs(text: str) -> bool:
    """Tell whether ``text`` splits into runs of at least :data:`_RUN` characters (``qwer`` + ``1234`` + ``aaaa``).

    A run repeats one character, steps through letters or digits by one (``abc``, ``987``), or follows a line of
    keys. Every kind of run stays a run when cut short, so the longest run from each position is all that counts;
    that keeps the check linear in the length of the password.
    """
    size = len(text)
    longest = [1] * size
    relations = [lambda a, b, step=step: ord(b) - ord(a) == step for step in (0, 1, -1)]
    relations += [lambda a, b, keys=keys: keys.get(a) == b for keys in _NEXT_KEY]
    for follows in relations:
        length = 1
        for position in range(size - 2, -1, -1):
            length = length + 1 if follows(text[position], text[position + 1]) else 1
            longest[position] = max(longest[position], length)
    # reachable[j]: text[:j] splits into runs; a sweep over "runs starting here may end at i + 3 ... i + longest".
    starts = [0] * (size + 2)
    reachable, open_runs = [True] + [False] * size, 0
    for position in range(size + 1):
        open_runs += starts[position]
        if position:
            reachable[position] = open_runs > 0
        if position < size and reachable[position] and longest[position] >= _RUN:
            starts[position + _RUN] += 1
            starts[position + longest[position] + 1] -= 1
    return reachable[size]
