"""Chunked, checkpointed training and evaluation of the Diehl & Cook network on one compiled program.

A run has three phases, each a sequence of chunks of the same compiled program:

``train``  plasticity on, ``n_train * epochs`` images in dataset order (as the released code);
``label``  plasticity and threshold adaptation off, the first ``n_label`` training images: each neuron is
           labelled with the class of its highest mean response;
``test``   plasticity off, the first ``n_test`` test images, classified with those labels.

After every chunk the whole state (weights, thresholds, membrane state, retry-rule state, spike counts
collected so far, position) is written atomically to ``<checkpoint_dir>/diehl_cook_checkpoint.npz``; a run
started again on the same folder continues from there and ends with exactly the weights of an
uninterrupted run (every random draw is a function of the seed, the phase and the chunk number).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import brian2 as b2
import numpy as np

from . import evaluation
from .network import (
    N_INPUT,
    build_network,
    initial_state,
    input_layout,
    layout_post_indices,
    read_state,
    state_run_args,
    structure_of,
)
from .parameters import DiehlCookParameters

__all__ = [
    "CHECKPOINT_NAME",
    "PhaseData",
    "TrainingResult",
    "ChunkResult",
    "CompiledNetwork",
    "RunawayError",
    "check_state",
    "train_and_evaluate",
    "load_checkpoint",
]

CHECKPOINT_NAME = "diehl_cook_checkpoint.npz"
PHASES = ("train", "label", "test")
_RUNNING_WINDOW = 10000


@dataclasses.dataclass
class PhaseData:
    """Images (uint8, n x 784) and labels of the three phases, with the dataset's name."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    dataset: str


@dataclasses.dataclass
class TrainingResult:
    """Everything a run produced."""

    weights: np.ndarray  # (784, n)
    theta: np.ndarray  # volt, plain float
    delays: np.ndarray  # seconds, (784*n,)
    assignments: np.ndarray
    label_counts: np.ndarray
    test_counts: np.ndarray
    #: every excitatory spike of the run when ``record_spikes`` is set (else empty): neuron and time step,
    #: counted from the start of the run over all phases (chunks follow each other without gaps)
    spike_neurons: np.ndarray
    spike_steps: np.ndarray
    n_steps: int  # time steps simulated in the whole run
    #: spike counts of every accepted training presentation, sparse (CSR rows = images in training order):
    #: ``train_nonzero[k]`` neurons fired for image ``k``; ``train_neuron`` / ``train_count`` list them
    train_nonzero: np.ndarray
    train_neuron: np.ndarray
    train_count: np.ndarray
    test_labels: np.ndarray
    test_predictions: np.ndarray
    history: np.ndarray  # (n_chunks, 2): images trained, running accuracy on that chunk
    n_forced: int
    n_presentations: dict
    seconds: dict
    build_seconds: float
    n_chunks_run: int


@dataclasses.dataclass
class ChunkResult:
    """Outcome of one chunk: the new state and the spike counts of the accepted presentations."""

    state: dict
    counts: np.ndarray  # (n_accepted, n_neurons)
    carry: np.ndarray
    n_accepted: int
    n_presentations: int
    slot_images: np.ndarray  # image index (within the chunk) shown in each slot; >= n_images: idle
    slot_accepted: np.ndarray
    spike_neurons: np.ndarray  # every excitatory spike of the chunk: neuron and time step within the chunk
    spike_steps: np.ndarray


class CompiledNetwork:
    """The compiled program of one network structure, run chunk by chunk (a context manager).

    Parameters
    ----------
    params : DiehlCookParameters
        Only :data:`~.parameters.STRUCTURE_FIELDS` matter for the build; run-time values are passed to
        :meth:`run_chunk`.
    cache_dir : Path
        Root of build folders.
    device : str
        ``"bioneuro_standalone"`` (default, see :mod:`bioneuro.devices`) or Brian2's ``"cpp_standalone"``
        (same model and generated code, Brian2's spike queue and templates: the benchmark's reference).
    """

    def __init__(self, params: DiehlCookParameters, cache_dir: Path, device: str = "bioneuro_standalone"):
        self.params = params
        self.cache_dir = Path(cache_dir)
        self.device = device
        self.build_seconds = 0.0
        self._project = None
        self.handles = None
        self._layout_key = None
        self._layout = None

    def __enter__(self) -> CompiledNetwork:
        from bioneuro.runner import StandaloneProject, structure_key

        key = structure_key("diehl-cook", structure_of(self.params) | {"device": self.device})
        self._project = StandaloneProject(key, self.cache_dir, fast_math_link=True, device=self.device)
        self._project.__enter__()
        try:
            self.handles = build_network(self.params)
            self._project.build()
        except BaseException:
            self._project.__exit__(None, None, None)
            raise
        self.build_seconds = self._project.build_seconds
        return self

    def __exit__(self, *exc_info) -> None:
        self._project.__exit__(*exc_info)

    def _layout_for(self, delay: np.ndarray) -> tuple[np.ndarray, dict[str, str]]:
        """Delay-sorted layout of the input synapses and the environment that gives it to the program."""
        from bioneuro import devices

        key = hashlib.sha256(np.ascontiguousarray(delay, dtype=np.float64).tobytes()).hexdigest()
        path = self._project.directory / "bioneuro_post_indices_dc_input_exc.dat"
        if key != self._layout_key or not path.exists():
            self._layout = input_layout(self.params, delay)
            layout_post_indices(self.params, self._layout).tofile(path)
            self._layout_key = key
        return self._layout, {devices.post_indices_variable(self.handles.s_in): str(path)}

    def run_chunk(
        self,
        state: dict,
        images: np.ndarray,
        plastic: float,
        rng_key: int,
        carry: np.ndarray | None = None,
        *,
        intensity: float | None = None,
        max_retries: int | None = None,
    ) -> ChunkResult:
        """Present up to ``chunk_images`` images (uint8, n x 784) starting from ``state``.

        ``intensity`` and ``max_retries`` override the parameters' values for this chunk (they are
        run-time values, not compiled).
        """
        p = self.params
        h = self.handles
        n, slots = p.n_neurons, p.chunk_images
        if len(images) > slots:
            raise ValueError(f"a chunk holds at most {slots} images, got {len(images)}")
        if carry is None:
            carry = np.zeros(n, dtype=np.int64)
        stim = np.zeros((slots, N_INPUT))
        stim[: len(images)] = np.asarray(images, dtype=np.float64) * float(p.rate_per_pixel / b2.Hz)
        order, environment = self._layout_for(state["syn.delay"])
        args = state_run_args(h, state, order)
        args.update(
            {
                h.stim: stim * b2.Hz,
                h.ctrl.n_avail: len(images),
                h.ctrl.img_idx: 0,
                h.ctrl.step: 0,
                h.ctrl.intensity0: p.intensity if intensity is None else intensity,
                h.ctrl.intensity_step: p.intensity_step,
                h.ctrl.min_spikes: p.min_spikes,
                h.ctrl.max_retries: p.max_retries if max_retries is None else max_retries,
                h.exc.plastic: float(plastic),
                h.inp.rng_key: int(rng_key),
            }
        )
        device = b2.get_device()
        self._project.run(args, environment=environment)
        for value_name in list(device.run_args_arrays):
            Path(device.project_dir, "static_arrays", value_name).unlink(missing_ok=True)
        new_state = read_state(h, order, state["syn.delay"])
        pres_steps = int(round(float(p.presentation_time / p.dt)))
        slot_steps = int(round(float((p.presentation_time + p.rest_time) / p.dt)))
        spike_steps = np.round(np.asarray(h.spikes.t_[:]) / float(p.dt)).astype(np.int64)
        counts, carry = evaluation.chunk_spike_counts(
            spike_steps, h.spikes.i[:], n, slots, pres_steps, slot_steps, carry
        )
        check_state(new_state, counts)
        at_start = np.asarray(h.slots.img_idx[0][:], dtype=np.int64)
        after = np.append(at_start[1:], int(new_state["ctrl.img_idx"][0]))
        accepted = after > at_start
        valid = at_start < len(images)
        repeated = valid & ~accepted
        if np.any(counts[repeated].sum(axis=1) >= p.min_spikes):
            raise RuntimeError("internal error: a repeated image had enough spikes (window mismatch)")
        return ChunkResult(
            state=new_state,
            counts=counts[accepted],
            carry=carry,
            n_accepted=int(new_state["ctrl.img_idx"][0]),
            n_presentations=int(valid.sum()),
            slot_images=at_start,
            slot_accepted=accepted,
            spike_neurons=np.asarray(h.spikes.i[:], dtype=np.int32).copy(),
            spike_steps=spike_steps,
        )


#: Bounds outside which the network has run away (forward Euler at dt 0.5 ms can diverge under very strong
#: inhibition, see the model docstring): membrane potentials (V) and conductances (dimensionless).
RUNAWAY_LIMITS = {
    "exc.v": 1.0, "inh.v": 1.0, "exc.ge": 1e4, "exc.gi": 1e4, "inh.ge": 1e4, "inh.gi": 1e4,
    # 0.5 V of threshold increase is 10,000 spikes of one neuron at theta_plus 0.05 mV (normal: 20-40 mV)
    "exc.theta": 0.5,
}
#: Spikes per neuron in one presentation above which the network has run away (normal: ~0.03)
RUNAWAY_SPIKES_PER_NEURON = 20
_ADVICE = (
    "forward Euler (membrane_integration=euler) at dt 0.5 ms diverges under very strong inhibition: use the "
    "default --set membrane_integration=exponential_euler (or keep clamp_refractory_v=true, reduce the "
    "inhibitory weight or use a smaller dt)"
)


class RunawayError(RuntimeError):
    """The simulated network diverged (non-finite or absurd state at the end of a chunk)."""


def check_state(state: dict, counts: np.ndarray | None = None) -> None:
    """Raise :class:`RunawayError` if the state at the end of a chunk is not finite or out of bounds, or a
    presentation of the chunk (``counts``: slots x neurons) evoked more than
    :data:`RUNAWAY_SPIKES_PER_NEURON` spikes per neuron.

    Checked after every chunk, so a diverging run stops within one chunk; the last checkpoint is the state
    before the failing chunk.
    """
    if counts is not None and len(counts):
        most = int(np.asarray(counts).sum(axis=1).max())
        n_neurons = np.asarray(counts).shape[1]
        if most > RUNAWAY_SPIKES_PER_NEURON * n_neurons:
            raise RunawayError(
                f"the network ran away: a presentation evoked {most} excitatory spikes ({n_neurons} neurons); "
                f"{_ADVICE}"
            )
    for key, limit in RUNAWAY_LIMITS.items():
        values = np.asarray(state[key], dtype=np.float64)
        bad = ~np.isfinite(values) | (np.abs(values) > limit)
        if np.any(bad):
            worst = values[bad][np.argmax(np.abs(np.nan_to_num(values[bad], nan=np.inf)))]
            raise RunawayError(
                f"the network ran away: {np.count_nonzero(bad)} values of {key} are non-finite or beyond "
                f"+-{limit:g} (e.g. {worst:g}); {_ADVICE}"
            )
    weights = np.asarray(state["syn.w"])
    if not np.all(np.isfinite(weights)):
        raise RunawayError("the network ran away: non-finite input weights")


#: Arrays that grow over the whole run, with their stored types: per-image training counts (sparse rows) and,
#: with ``record_spikes``, the excitatory raster. Appended chunk by chunk, joined for checkpoints and results.
_KEPT = {
    "train_nonzero": np.int32, "train_neuron": np.uint16, "train_count": np.uint16,
    "raster_neuron": np.int32, "raster_step": np.int64,
}


def _joined(kept: dict[str, list[np.ndarray]], key: str) -> np.ndarray:
    parts = kept[key]
    return np.concatenate(parts).astype(_KEPT[key]) if parts else np.zeros(0, _KEPT[key])


def _params_digest(params: DiehlCookParameters, seed: int, dataset: str) -> str:
    text = json.dumps(
        {f.name: str(getattr(params, f.name)) for f in dataclasses.fields(params)}
        | {"seed": seed, "dataset": dataset},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _chunk_key(seed: int, phase: int, chunk: int) -> int:
    return int(np.random.SeedSequence([seed, 7919, phase, chunk]).generate_state(1)[0] & 0x7FFFFFFF)


def _save_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.savez(handle, **payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint file into a dict of arrays (scalars as 0-d arrays)."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _pack(state: dict, progress: dict) -> dict:
    payload = {f"state/{k}": v for k, v in state.items()}
    payload.update({f"run/{k}": np.asarray(v) for k, v in progress.items()})
    return payload


def _unpack(payload: dict) -> tuple[dict, dict]:
    state = {k[6:]: v for k, v in payload.items() if k.startswith("state/")}
    progress = {k[4:]: v for k, v in payload.items() if k.startswith("run/")}
    return state, progress


def _phase_plan(params: DiehlCookParameters, data: PhaseData) -> list[tuple[np.ndarray, np.ndarray, float]]:
    n_train_total = params.n_train * params.epochs
    order = np.arange(n_train_total) % params.n_train
    return [
        (data.train_images, order, 1.0),
        (data.train_images, np.arange(params.n_label), 0.0),
        (data.test_images, np.arange(params.n_test), 0.0),
    ]


def train_and_evaluate(
    params: DiehlCookParameters,
    data: PhaseData,
    *,
    seed: int,
    cache_dir: Path,
    checkpoint_dir: Path | None,
    progress: bool = True,
    stop_after_chunks: int | None = None,
    compiled: CompiledNetwork | None = None,
) -> TrainingResult:
    """Train, label and test; resume from ``checkpoint_dir`` when it holds a checkpoint of the same run.

    Parameters
    ----------
    params : DiehlCookParameters
        Network and run parameters.
    data : PhaseData
        Images and labels.
    seed : int
        Seed of the initial weights and delays and of every input spike.
    cache_dir : Path
        Root of compiled builds (``<cache_dir>/standalone/diehl-cook-<hash>``).
    checkpoint_dir : Path or None
        Folder of the checkpoint file; ``None`` disables checkpoints.
    progress : bool
        Show a tqdm bar (images per second, running accuracy).
    stop_after_chunks : int, optional
        Return early after this many chunks in this call (tests of resumption); the result is then partial.
    compiled : CompiledNetwork, optional
        An open compiled network of the same structure (shared between calls); default: build one.

    Returns
    -------
    TrainingResult
    """
    p = params
    if p.n_train > len(data.train_labels) or p.n_label > len(data.train_labels):
        raise ValueError(
            f"n_train={p.n_train} / n_label={p.n_label} exceed the {len(data.train_labels)} training images "
            f"of {data.dataset}"
        )
    if p.n_test > len(data.test_labels):
        raise ValueError(f"n_test={p.n_test} exceeds the {len(data.test_labels)} test images of {data.dataset}")
    digest = _params_digest(p, seed, data.dataset)
    plan = _phase_plan(p, data)
    n = p.n_neurons
    slots = p.chunk_images
    steps_per_chunk = slots * int(round(float((p.presentation_time + p.rest_time) / p.dt)))

    checkpoint = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    if checkpoint is not None and checkpoint.is_file():
        state, run = _unpack(load_checkpoint(checkpoint))
        if str(run["digest"]) != digest:
            raise ValueError(
                f"{checkpoint} belongs to a run with other parameters, seed or data; "
                "resume with the same settings or start a new run"
            )
        phase, position, chunk = int(run["phase"]), int(run["position"]), int(run["chunk"])
        carry = run["carry"]
        collected = {name: list(run[f"counts_{name}"]) for name in PHASES}
        labels_seen = {name: list(run[f"labels_{name}"]) for name in PHASES}
        history = [tuple(row) for row in run["history"].reshape(-1, 2)]
        seconds = {name: float(run[f"seconds_{name}"]) for name in PHASES}
        shown = {name: int(run[f"shown_{name}"]) for name in PHASES}
        n_chunks_total = int(run["n_chunks_total"])
        kept = {key: [run[key]] if key in run else [] for key in _KEPT}
    else:
        state = initial_state(p, np.random.default_rng([seed, 1]))
        phase, position, chunk = 0, 0, 0
        carry = np.zeros(n, dtype=np.int64)
        collected = {name: [] for name in PHASES}
        labels_seen = {name: [] for name in PHASES}
        history, n_chunks_total = [], 0
        seconds = dict.fromkeys(PHASES, 0.0)
        shown = dict.fromkeys(PHASES, 0)
        kept = {key: [] for key in _KEPT}

    total_images = sum(len(order) for _, order, _ in plan)
    done_images = sum(len(order) for _, order, _ in plan[:phase]) + position
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total_images, initial=done_images, unit="img", file=sys.stderr, dynamic_ncols=True)

    chunks_this_call = 0
    own = compiled is None
    if own:
        compiled = CompiledNetwork(p, cache_dir).__enter__()
    try:
        while phase < len(PHASES):
            name = PHASES[phase]
            images, order, plastic = plan[phase]
            if position >= len(order):
                phase, position, chunk = phase + 1, 0, 0
                continue
            if stop_after_chunks is not None and chunks_this_call >= stop_after_chunks:
                break
            indices = order[position : position + slots]
            started = time.perf_counter()
            out = compiled.run_chunk(state, images[indices], plastic, _chunk_key(seed, phase, chunk), carry)
            seconds[name] += time.perf_counter() - started
            carry = out.carry
            n_done = out.n_accepted
            if p.record_spikes:
                kept["raster_neuron"].append(out.spike_neurons)
                kept["raster_step"].append(out.spike_steps + n_chunks_total * steps_per_chunk)
            shown[name] += out.n_presentations
            chunk_counts = out.counts.astype(np.uint16)
            chunk_labels = data_labels(plan, phase, data)[indices[:n_done]]
            if name == "train":
                recent = np.asarray(collected["train"][-_RUNNING_WINDOW:], dtype=np.float64).reshape(-1, n)
                recent_labels = np.asarray(labels_seen["train"][-_RUNNING_WINDOW:], dtype=np.int64)
                if len(recent):
                    assigned = evaluation.assign_labels(recent, recent_labels)
                    acc = evaluation.accuracy(evaluation.predict(chunk_counts, assigned), chunk_labels)
                else:
                    acc = float("nan")
                history.append((position + n_done, acc))
                _, fired = np.nonzero(chunk_counts)
                kept["train_nonzero"].append(np.count_nonzero(chunk_counts, axis=1))
                kept["train_neuron"].append(fired)
                kept["train_count"].append(chunk_counts[chunk_counts > 0])
                collected[name].extend(list(chunk_counts))
                labels_seen[name].extend(chunk_labels.tolist())
                del collected[name][:-_RUNNING_WINDOW]
                del labels_seen[name][:-_RUNNING_WINDOW]
            else:
                collected[name].extend(list(chunk_counts))
                labels_seen[name].extend(chunk_labels.tolist())
                acc = float("nan")
                if name == "test":
                    assigned = evaluation.assign_labels(
                        np.asarray(collected["label"]), np.asarray(labels_seen["label"])
                    )
                    acc = evaluation.accuracy(
                        evaluation.predict(np.asarray(collected["test"]), assigned), labels_seen["test"]
                    )
            state = out.state
            position += n_done
            chunk += 1
            chunks_this_call += 1
            n_chunks_total += 1
            if bar is not None:
                bar.update(n_done)
                bar.set_postfix(phase=name, acc=f"{acc:.3f}", refresh=False)
            if checkpoint is not None:
                run = {
                    "digest": digest, "phase": phase, "position": position, "chunk": chunk, "carry": carry,
                    "history": np.asarray(history, dtype=np.float64).reshape(-1, 2),
                    "n_chunks_total": n_chunks_total,
                }
                for key in kept:
                    kept[key] = [_joined(kept, key)]
                    run[key] = kept[key][0]
                for key_name in PHASES:
                    run[f"counts_{key_name}"] = np.asarray(collected[key_name], dtype=np.uint16).reshape(-1, n)
                    run[f"labels_{key_name}"] = np.asarray(labels_seen[key_name], dtype=np.int64)
                    run[f"seconds_{key_name}"] = seconds[key_name]
                    run[f"shown_{key_name}"] = shown[key_name]
                _save_atomic(checkpoint, _pack(state, run))
    finally:
        if own:
            compiled.__exit__(None, None, None)
    if bar is not None:
        bar.close()

    label_counts = np.asarray(collected["label"], dtype=np.uint16).reshape(-1, n)
    test_counts = np.asarray(collected["test"], dtype=np.uint16).reshape(-1, n)
    label_labels = np.asarray(labels_seen["label"], dtype=np.int64)
    test_labels = np.asarray(labels_seen["test"], dtype=np.int64)
    assignments = (
        evaluation.assign_labels(label_counts, label_labels) if len(label_labels) else np.full(n, -1)
    )
    predictions = evaluation.predict(test_counts, assignments) if len(test_labels) else np.zeros(0, int)
    return TrainingResult(
        weights=state["syn.w"].reshape(N_INPUT, n),
        theta=state["exc.theta"],
        delays=state["syn.delay"],
        assignments=assignments,
        label_counts=label_counts,
        test_counts=test_counts,
        train_nonzero=_joined(kept, "train_nonzero"),
        train_neuron=_joined(kept, "train_neuron"),
        train_count=_joined(kept, "train_count"),
        spike_neurons=_joined(kept, "raster_neuron"),
        spike_steps=_joined(kept, "raster_step"),
        n_steps=n_chunks_total * steps_per_chunk,
        test_labels=test_labels,
        test_predictions=predictions,
        history=np.asarray(history, dtype=np.float64).reshape(-1, 2),
        n_forced=int(state["ctrl.n_forced"][0]),
        n_presentations=shown,
        seconds=seconds,
        build_seconds=compiled.build_seconds,
        n_chunks_run=chunks_this_call,
    )


def data_labels(plan, phase: int, data: PhaseData) -> np.ndarray:
    """Labels of the image array used by ``phase``."""
    return data.test_labels if phase == 2 else data.train_labels
