"""One-line error messages: what the status bar, stderr and a worker's ``failed`` signal show."""

from __future__ import annotations

MAX_CHARS = 300


class UserError(Exception):
    """Something the user can fix (a missing or broken file, a bad setting); the message is
    one line and names what is wrong. The command line prints it and exits with code 2."""


def one_line(error: object, limit: int = MAX_CHARS) -> str:
    """``error`` (an exception or any text) on one line, whitespace runs collapsed, cut to
    ``limit`` characters with "...". An exception without a message gives its type name."""
    text = " ".join(str(error).split())
    if not text and isinstance(error, BaseException):
        text = type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def npz_problem(error: BaseException) -> str:
    """What ``np.load``'s error says, for a person: a file that is neither a zip of arrays
    nor one array is "not an .npz archive" (numpy's own words offer to unpickle it, which
    the user must not be told to do); anything else as :func:`one_line` gives it."""
    if isinstance(error, ValueError) and "pickled" in str(error):
        return "not an .npz archive"
    return one_line(error)
