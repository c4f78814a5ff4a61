"""The cache of compiled standalone builds: list them, and remove those not used lately.

Every network structure compiled with C++ standalone gets a build folder
``<cache_dir>/standalone/<name>-<hash>/`` (:class:`bioneuro.runner.StandaloneProject`), reused by every later
run with the same structure. Builds accumulate (the Diehl & Cook model alone leaves 20-60 MB per size and
option), and nothing removes them on its own; ``bioneuro cache`` lists them and ``bioneuro cache clean``
removes them.

A build folder may have copies named ``<name>-<hash>-eval<k>`` (the Diehl & Cook evaluation process works on
its own copy of the compiled program); a copy is listed, aged and removed with the build it copies.

A build that a running process holds (its ``.lock`` file is locked) is never removed. The empty ``.lock``
files themselves stay: removing a lock file that another process may be waiting on would let two processes
into one build folder (the reason Brian2's own lock keeps them too).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import time
from pathlib import Path

__all__ = ["BuildEntry", "LAST_USED_MARKER", "builds_folder", "clean_builds", "list_builds", "mark_used"]

#: File touched in a build folder each time a process opens the build (its modification time is the last use).
LAST_USED_MARKER = ".last_used"

_COPY = re.compile(r"^(?P<parent>.+)-eval\d+$")


@dataclasses.dataclass
class BuildEntry:
    """One compiled build and its copies.

    Attributes
    ----------
    name : str
        Folder name (``<runnable>-<structure hash>``).
    path : Path
        The build folder (may be missing when only copies are left).
    copies : list of Path
        Folders that copy this build (``<name>-eval<k>``).
    size_bytes : int
        Disk use of the build and its copies.
    last_used : float
        Time of the last use (seconds since the epoch) of the build or any copy.
    in_use : bool
        A running process holds the build or one of its copies.
    """

    name: str
    path: Path
    copies: list[Path]
    size_bytes: int
    last_used: float
    in_use: bool

    @property
    def folders(self) -> list[Path]:
        return [p for p in [self.path, *self.copies] if p.is_dir()]


def builds_folder(cache_dir: Path | str | None = None) -> Path:
    """``<cache_dir>/standalone`` (default cache: :func:`bioneuro.runner.default_cache_dir`)."""
    if cache_dir is None:
        from bioneuro.runner import default_cache_dir

        cache_dir = default_cache_dir()
    return Path(cache_dir).expanduser() / "standalone"


def mark_used(folder: Path) -> None:
    """Record that ``folder`` (a build) is being used now."""
    (Path(folder) / LAST_USED_MARKER).touch()


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed meanwhile
                pass
    return total


def _last_used(folder: Path) -> float:
    marker = folder / LAST_USED_MARKER
    if marker.exists():
        return marker.stat().st_mtime
    # Builds made before the marker existed: the newest entry at the top of the folder (the program, its
    # results folders) tells when it was last built or run.
    times = [folder.stat().st_mtime]
    for entry in folder.iterdir():
        try:
            times.append(entry.lstat().st_mtime)
        except OSError:
            pass
    return max(times)


def _lock(folder: Path):
    """The lock ``StandaloneProject`` takes on a build (Brian2's ``FileLock`` on ``<folder>.lock``)."""
    from brian2.utils.filelock import FileLock

    return FileLock(str(folder) + ".lock")


def _held(folder: Path) -> bool:
    """Whether a process holds the build's lock; never creates a lock file."""
    from brian2.utils.filelock import Timeout

    if not Path(str(folder) + ".lock").exists():
        return False
    lock = _lock(folder)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def list_builds(cache_dir: Path | str | None = None) -> list[BuildEntry]:
    """The builds in the cache, most recently used first."""
    root = builds_folder(cache_dir)
    if not root.is_dir():
        return []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.endswith(".partial"))
    groups: dict[str, list[Path]] = {}
    for folder in folders:
        match = _COPY.match(folder.name)
        parent = match.group("parent") if match else folder.name
        groups.setdefault(parent, [])
        if match:
            groups[parent].append(folder)
    entries = []
    for name, copies in groups.items():
        path = root / name
        members = [p for p in [path, *copies] if p.is_dir()]
        entries.append(BuildEntry(
            name=name, path=path, copies=copies, size_bytes=sum(_size(p) for p in members),
            last_used=max(_last_used(p) for p in members), in_use=any(_held(p) for p in members),
        ))
    entries.sort(key=lambda entry: entry.last_used, reverse=True)
    return entries


def clean_builds(
    cache_dir: Path | str | None = None,
    *,
    older_than_days: float | None = None,
    dry_run: bool = False,
) -> tuple[list[BuildEntry], list[BuildEntry]]:
    """Remove builds (with their copies) not used for ``older_than_days`` days (``None``: every build).

    Builds held by a running process are skipped. Returns ``(removed, skipped_in_use)``; with ``dry_run``
    nothing is removed and ``removed`` lists what would be.
    """
    if older_than_days is not None and not older_than_days >= 0:
        raise ValueError(f"older_than_days must be a non-negative number of days, got {older_than_days!r}")
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400.0
    removed, skipped = [], []
    for entry in list_builds(cache_dir):
        if cutoff is not None and entry.last_used > cutoff:
            continue
        if entry.in_use:
            skipped.append(entry)
            continue
        if not dry_run and not _remove_unless_held(entry.folders):
            skipped.append(entry)  # a run opened it since it was listed
            continue
        removed.append(entry)
    return removed, skipped


def _remove_unless_held(folders: list[Path]) -> bool:
    """Remove ``folders`` while holding their locks (so no run can open them meanwhile); False, removing
    nothing, when a process holds one of them."""
    from brian2.utils.filelock import Timeout

    held = []
    try:
        for folder in folders:
            lock = _lock(folder)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                return False
            held.append(lock)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        for lock in held:
            lock.release()
