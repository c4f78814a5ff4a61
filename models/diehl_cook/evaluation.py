"""Label assignment and prediction of Diehl & Cook (2015), as pure functions of spike counts."""

from __future__ import annotations

import numpy as np

__all__ = ["assign_labels", "predict", "accuracy", "confusion_matrix", "chunk_spike_counts", "dense_counts"]


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Class of each neuron: the class with its highest mean spike count over the given images.

    Parameters
    ----------
    counts : ndarray, shape (n_images, n_neurons)
        Spike counts of each neuron for each image.
    labels : ndarray of int, shape (n_images,)
        True class of each image.
    n_classes : int
        Number of classes.

    Returns
    -------
    ndarray of int64, shape (n_neurons,)
        Assigned class, or -1 for a neuron that never responded (as in the released code, a class is only
        assigned when its mean response is strictly positive).
    """
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels)
    means = np.zeros((n_classes, counts.shape[1]))
    for k in range(n_classes):
        members = labels == k
        if members.any():
            means[k] = counts[members].mean(axis=0)
    assigned = np.argmax(means, axis=0).astype(np.int64)
    assigned[means.max(axis=0) <= 0] = -1
    return assigned


def predict(counts: np.ndarray, assignments: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Predicted class per image: the class whose assigned neurons have the highest mean spike count.

    Ties (e.g. an image without any spike) go to the highest class index, as with the released code's
    ``argsort(...)[::-1]``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    scores = np.zeros((counts.shape[0], n_classes))
    for k in range(n_classes):
        members = assignments == k
        if members.any():
            scores[:, k] = counts[:, members].sum(axis=1) / members.sum()
    return (n_classes - 1 - np.argmax(scores[:, ::-1], axis=1)).astype(np.int64)


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of correct predictions."""
    return float(np.mean(np.asarray(predictions) == np.asarray(labels))) if len(labels) else float("nan")


def confusion_matrix(predictions: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts ``[true, predicted]``."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def chunk_spike_counts(
    spike_steps: np.ndarray,
    spike_neurons: np.ndarray,
    n_neurons: int,
    n_slots: int,
    presentation_steps: int,
    slot_steps: int,
    carry: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Spike counts per decision window of one chunk.

    Window ``k`` holds the spikes after the decision of slot ``k-1`` up to the end of slot ``k``'s
    presentation (the preceding rest plus the presentation, as the released code counts them). Window 0
    starts with ``carry``, the counts of the previous chunk's last rest.

    Returns
    -------
    counts : ndarray of int64, shape (n_slots, n_neurons)
    carry : ndarray of int64, shape (n_neurons,)
        Counts of this chunk's last rest, to start the next chunk.
    """
    window = (np.asarray(spike_steps, dtype=np.int64) - presentation_steps) // slot_steps + 1
    counts = np.zeros((n_slots + 1, n_neurons), dtype=np.int64)
    np.add.at(counts, (window, np.asarray(spike_neurons, dtype=np.int64)), 1)
    counts[0] += carry
    return counts[:n_slots], counts[n_slots].copy()


def dense_counts(nonzero: np.ndarray, neuron: np.ndarray, count: np.ndarray, n_neurons: int) -> np.ndarray:
    """Images x neurons spike counts from the sparse training record (``train_spike_counts_*``)."""
    nonzero = np.asarray(nonzero, dtype=np.int64)
    rows = np.repeat(np.arange(len(nonzero)), nonzero)
    dense = np.zeros((len(nonzero), n_neurons), dtype=np.int64)
    dense[rows, np.asarray(neuron, dtype=np.int64)] = np.asarray(count, dtype=np.int64)
    return dense
