"""Registry entry point: load data, train and evaluate, return a RunRecord."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from brian2 import mV, second, volt

from bioneuro.io.datasets import load_embedded_mnist, load_mnist

from . import evaluation
from .figures import draw_figures
from .network import N_INPUT
from .parameters import DiehlCookParameters
from .training import CHECKPOINT_NAMES, PhaseData, train_and_evaluate

__all__ = ["execute", "load_data", "draw_figures"]


def load_data(params: DiehlCookParameters) -> PhaseData:
    """Images and labels for a run (raises ``DatasetError`` with instructions when MNIST is missing)."""
    if params.dataset == "embedded":
        train, test = load_embedded_mnist("train"), load_embedded_mnist("test")
    else:
        path = params.data_dir or None
        train, test = load_mnist("train", path), load_mnist("test", path)
    return PhaseData(train.images, train.labels, test.images, test.labels, train.name)


def execute(params: DiehlCookParameters, context) -> object:
    """Train, label and test as described in the package docstring; returns a RunRecord.

    Checkpoints go to ``<context.out_dir>/checkpoints``; the runner points ``out_dir`` at the interrupted
    run's folder on ``--resume``, and training continues from the last checkpoint found there.
    """
    from bioneuro.io.record import RunRecord, SpikeTrains, SynapseWeights

    data = load_data(params)  # fails before anything is written
    # The runner keeps <out_dir>/checkpoints of an interrupted run for --resume (then out_dir is that folder).
    checkpoint_dir = Path(context.out_dir) / "checkpoints" if context.out_dir is not None else None
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        if context.progress:
            print(f"diehl-cook: checkpoints in {checkpoint_dir}", file=sys.stderr)
    result = train_and_evaluate(
        params, data, seed=int(context.seed), cache_dir=Path(context.cache_dir),
        checkpoint_dir=checkpoint_dir, progress=context.progress,
    )
    if checkpoint_dir is not None:  # the run is complete: its record replaces the checkpoints
        for name in CHECKPOINT_NAMES:
            (checkpoint_dir / name).unlink(missing_ok=True)
        if not any(checkpoint_dir.iterdir()):
            checkpoint_dir.rmdir()
    n = params.n_neurons
    pre, post = np.divmod(np.arange(N_INPUT * n), n)
    matrix = evaluation.confusion_matrix(result.test_predictions, result.test_labels)
    test_accuracy = evaluation.accuracy(result.test_predictions, result.test_labels)
    n_train = params.n_train * params.epochs
    metrics = {
        "test_accuracy": test_accuracy,
        "dataset": data.dataset,
        "n_train_images": n_train,
        "n_label_images": int(len(result.label_counts)),
        "n_test_images": int(len(result.test_labels)),
        "n_forced_accepts": result.n_forced,
        "n_unassigned_neurons": int(np.sum(result.assignments < 0)),
        # the threshold increase in effect (parameters.json holds null for theta_plus=scaled)
        "theta_plus_mV": float(params.theta_increment / mV),
        "build_time_s": round(result.build_seconds, 3),
        # labelling and testing: processes used and wall time (with 2, the two phases ran side by side)
        "eval_workers": result.eval_workers,
        "time_evaluation_wall_s": round(result.eval_seconds, 3),
    }
    for phase, seconds in result.seconds.items():
        shown = result.n_presentations[phase]
        metrics[f"presentations_{phase}"] = shown
        metrics[f"time_{phase}_s"] = round(seconds, 3)
        if shown:
            metrics[f"ms_per_presentation_{phase}"] = round(1e3 * seconds / shown, 3)
    spikes = {}
    if params.record_spikes:
        dt = float(params.dt)
        spikes["exc"] = SpikeTrains(
            node_ids=result.spike_neurons, timestamps=result.spike_steps * dt * second, n_neurons=n,
            t_start=0 * second, t_stop=result.n_steps * dt * second,
        )
    return RunRecord(
        kind="model",
        name="diehl-cook",
        spikes=spikes,
        weights={"input_exc": SynapseWeights(pre=pre, post=post, weights=result.weights.ravel())},
        arrays={
            "theta": result.theta * volt,
            "input_delays": result.delays * second,
            "assignments": result.assignments,
            "label_spike_counts": result.label_counts,
            "test_spike_counts": result.test_counts,
            # every training image's counts, sparse: evaluation.dense_counts() restores the matrix
            "train_spike_counts_nonzero": result.train_nonzero,
            "train_spike_counts_neuron": result.train_neuron,
            "train_spike_counts_count": result.train_count,
            "test_labels": result.test_labels,
            "test_predictions": result.test_predictions,
            "confusion_matrix": matrix,
            "training_accuracy": result.history,
        },
        metrics=metrics,
        provenance={"dataset_source": data.dataset},
    )
