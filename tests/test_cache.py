"""The cache of compiled builds (``bioneuro.cache``, ``bioneuro cache``).

Oracles: the sizes are the bytes the test wrote; the ages are the modification times it set; a build is in
use exactly when the test holds its lock (Brian2's ``FileLock``, the lock ``StandaloneProject`` takes).
"""

from __future__ import annotations

import os
import time

import pytest
from brian2.utils.filelock import FileLock

from bioneuro.cache import LAST_USED_MARKER, builds_folder, clean_builds, list_builds
from bioneuro.cli import main

DAY = 86400.0


def _build(root, name, sizes, days_ago, marker=True):
    folder = root / "standalone" / name
    (folder / "sub").mkdir(parents=True)
    for index, size in enumerate(sizes):
        (folder / ("sub" if index % 2 else ".") / f"file{index}").write_bytes(b"x" * size)
    (root / "standalone" / f"{name}.lock").touch()
    stamp = time.time() - days_ago * DAY
    if marker:
        (folder / LAST_USED_MARKER).touch()
        os.utime(folder / LAST_USED_MARKER, (stamp, stamp))
    else:  # a build from before the marker: its entries' times count
        for entry in [*folder.iterdir(), folder]:
            os.utime(entry, (stamp, stamp))
    return folder


@pytest.fixture
def cache(tmp_path):
    _build(tmp_path, "dc-aaa", [1000, 234], days_ago=10)
    _build(tmp_path, "dc-aaa-eval1", [500], days_ago=9)
    _build(tmp_path, "dc-bbb", [4000], days_ago=1)
    _build(tmp_path, "old-ccc", [70], days_ago=20, marker=False)
    return tmp_path


def test_list_groups_copies_with_sizes_ages_and_order(cache):
    entries = list_builds(cache)
    assert [e.name for e in entries] == ["dc-bbb", "dc-aaa", "old-ccc"]  # most recent use first
    by_name = {e.name: e for e in entries}
    assert by_name["dc-aaa"].copies == [builds_folder(cache) / "dc-aaa-eval1"]
    assert by_name["dc-aaa"].size_bytes == 1000 + 234 + 500
    assert by_name["dc-bbb"].size_bytes == 4000
    assert by_name["old-ccc"].size_bytes == 70
    # last use of a build with a copy: the later of the two; without the marker: its entries' times
    assert by_name["dc-aaa"].last_used == pytest.approx(time.time() - 9 * DAY, abs=60)
    assert by_name["old-ccc"].last_used == pytest.approx(time.time() - 20 * DAY, abs=60)
    assert not any(e.in_use for e in entries)


def test_clean_by_age_removes_build_with_its_copy(cache):
    removed, skipped = clean_builds(cache, older_than_days=5, dry_run=True)
    assert sorted(e.name for e in removed) == ["dc-aaa", "old-ccc"] and not skipped
    assert (builds_folder(cache) / "dc-aaa").is_dir()  # dry run: nothing removed
    removed, skipped = clean_builds(cache, older_than_days=5)
    assert sorted(e.name for e in removed) == ["dc-aaa", "old-ccc"]
    left = sorted(p.name for p in builds_folder(cache).iterdir() if p.is_dir())
    assert left == ["dc-bbb"]
    assert (builds_folder(cache) / "dc-aaa.lock").exists()  # lock files stay (see the module docstring)


def test_clean_skips_a_build_held_by_a_process(cache):
    lock = FileLock(str(builds_folder(cache) / "dc-aaa-eval1") + ".lock")
    lock.acquire()
    try:
        entries = {e.name: e for e in list_builds(cache)}
        assert entries["dc-aaa"].in_use and not entries["dc-bbb"].in_use
        removed, skipped = clean_builds(cache)
        assert sorted(e.name for e in removed) == ["dc-bbb", "old-ccc"]
        assert [e.name for e in skipped] == ["dc-aaa"]
        assert (builds_folder(cache) / "dc-aaa").is_dir() and (builds_folder(cache) / "dc-aaa-eval1").is_dir()
    finally:
        lock.release()
    removed, _ = clean_builds(cache)
    assert [e.name for e in removed] == ["dc-aaa"]
    assert list_builds(cache) == []


def test_clean_rejects_a_negative_age(cache):
    with pytest.raises(ValueError, match="older_than_days"):
        clean_builds(cache, older_than_days=-1)


def test_empty_or_missing_cache(tmp_path):
    assert list_builds(tmp_path / "nowhere") == []
    assert clean_builds(tmp_path / "nowhere") == ([], [])


def test_cli_lists_and_cleans(cache, capsys):
    assert main(["cache", "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "3, 5.8 kB" in out  # 1234 + 500 + 4000 + 70 = 5804 bytes
    assert "dc-aaa" in out and "+1 evaluation copy" in out and "dc-aaa-eval1" not in out
    assert main(["cache", "clean", "--older-than", "5", "--dry-run", "--cache-dir", str(cache)]) == 0
    assert "would remove 2 builds" in capsys.readouterr().out
    assert (builds_folder(cache) / "old-ccc").is_dir()
    assert main(["cache", "clean", "--cache-dir", str(cache)]) == 0
    assert "removed 3 builds" in capsys.readouterr().out
    assert list_builds(cache) == []
    assert main(["cache", "--dry-run", "--cache-dir", str(cache)]) == 2  # clean's options without clean
    assert "go with `bioneuro cache clean`" in capsys.readouterr().err


def test_standalone_project_marks_its_build_used(tmp_path):
    from bioneuro.runner import StandaloneProject

    project = StandaloneProject("marked-000", tmp_path)
    before = time.time() - 1
    with project:
        pass
    marker = builds_folder(tmp_path) / "marked-000" / LAST_USED_MARKER
    assert marker.exists() and marker.stat().st_mtime >= before
    assert [e.name for e in list_builds(tmp_path)] == ["marked-000"]


def test_cli_output_into_a_closed_pipe_is_not_an_error(cache):
    """`bioneuro cache | head -1`: the reader stops early; the command ends quietly with status 0."""
    import subprocess
    import sys

    for index in range(2000):  # more output (~140 kB) than a pipe buffers (64 kB)
        (builds_folder(cache) / f"many-{index:04d}").mkdir()
    process = subprocess.Popen([sys.executable, "-m", "bioneuro.cli", "cache", "--cache-dir", str(cache)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert "Error" not in stderr and "Traceback" not in stderr, stderr
