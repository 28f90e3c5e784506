"""Atomic, durable file writes and defensive reads.

Every file digitpad writes goes to a temporary file in the same folder first, is flushed
to disk (``fsync``), and is moved into place with ``os.replace``; the folder is then
flushed too, so the rename itself survives a power cut. A crash (or a full disk) mid-write
leaves the old file whole and never a half-written one. A failing ``fsync`` is an error
(``OSError``), not something to ignore: the data may not be on the disk.

Temporary names carry the writer's process id (``.NAME.PID.XXXXXXXX.tmp.EXT``, folders
``.NAME.PID.XXXXXXXX.tmpdir``), so :func:`clean_stale_temporaries` can remove those left
by a killed process without touching one that another live process is still writing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Our temporary names, and only ours: ".STEM.PID.RANDOM.tmp[.EXT]" / ".STEM.PID.RANDOM.tmpdir".
TEMP_RE = re.compile(r"^\..*\.(?P<pid>\d+)\.[a-z0-9_]{8}\.tmp(?:dir|\.[^.]*)?$")
# A temporary older than this is stale even if a process with its id is alive (id reuse).
STALE_AFTER_S = 24 * 3600
# Errors of file systems that cannot fsync (some network and FUSE file systems): nothing to
# report, the data are as safe as that file system makes them.
_FSYNC_UNSUPPORTED = {errno.EINVAL, getattr(errno, "ENOTSUP", -1), getattr(errno, "EOPNOTSUPP", -1)}


def _temp_prefix(path: Path) -> str:
    return f".{path.stem}.{os.getpid()}."


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success flush it and move it onto ``path``.

    The caller writes the temporary file however it likes (``model.save``, Pillow,
    ``open``). If the block raises, the temporary file is removed and ``path`` is
    untouched. The temporary name keeps the suffix, for writers that look at it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; give the file the mode a plain open() would (or the old file's).
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        os.chmod(tmp_path, mode)
        yield tmp_path
        fsync_file(tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    fsync_dir(path.parent)


@contextlib.contextmanager
def temporary_dir(parent: str | os.PathLike, stem: str) -> Iterator[Path]:
    """A new private folder ``parent/.STEM.PID.XXXXXXXX.tmpdir``, removed with everything in
    it if the block raises (the block normally renames it into place)."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.{os.getpid()}.", suffix=".tmpdir", dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    """The process umask. Read from /proc where possible: setting and restoring it (the
    only portable way) briefly changes it for every thread, and files may be written
    from a worker thread (saving a trained model) while another writes too."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_file(path: str | os.PathLike) -> None:
    """Flush a written file to the disk; ``OSError`` if the disk reports an error."""
    with open(path, "rb+") as f:
        try:
            os.fsync(f.fileno())
        except OSError as exc:
            if exc.errno not in _FSYNC_UNSUPPORTED:
                raise


def fsync_dir(path: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename into it) to the disk. POSIX only: Windows can
    neither open nor needs to flush a folder."""
    if sys.platform.startswith("win"):
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _FSYNC_UNSUPPORTED | {errno.EBADF, errno.EACCES}:
            raise
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def create_new_text(folder: str | os.PathLike, stem: str, suffix: str, text: str) -> Path:
    """Write ``text`` to a file ``folder/STEM[-N]SUFFIX`` that did not exist, choosing the
    first free ``N`` (2, 3, ...) — safely against other processes doing the same at the same
    moment: the file is complete and flushed before it appears, and it appears under a name
    nobody else got (a hard link fails if the name exists; where hard links are not
    supported, an exclusive create reserves the name)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    for n in range(1, 10_000):
        name = stem if n == 1 else f"{stem}-{n}"
        target = folder / f"{name}{suffix}"
        if target.exists():
            continue
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=f".tmp{suffix}", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o666 & ~_umask())
            fsync_file(tmp)
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            except OSError:  # no hard links here: reserve the name, then replace it
                try:
                    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
                except FileExistsError:
                    continue
                os.replace(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        fsync_dir(folder)
        return target
    raise OSError(errno.EEXIST, f"no free name for {stem}{suffix} in {folder}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform.startswith("win"):
        return True  # no cheap check: rely on the age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_stale_temporaries(folder: str | os.PathLike, max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove our own temporaries in ``folder`` (files and folders named as this module
    names them) left by a process that no longer runs, or older than ``max_age_s``.
    Anything not named by our pattern is left alone. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = TEMP_RE.match(entry.name)
        if not m:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if _pid_alive(int(m["pid"])) and now - st.st_mtime < max_age_s:
            continue
        try:
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


# --------------------------------------------------------------------------- reading

MAX_JSON_BYTES = 4 << 20


def read_json(path: str | os.PathLike, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON file defensively: only a regular file, at most ``max_bytes``, and
    nesting that would exhaust the stack is an error. Raises ``OSError`` (missing,
    unreadable) or ``ValueError`` (too large, not JSON, too deeply nested) with a
    one-line message."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes:,} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason})") from None
