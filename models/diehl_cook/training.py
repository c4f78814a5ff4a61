"""Chunked, checkpointed training and evaluation of the Diehl & Cook network on one compiled program.

A run has three phases, each a sequence of chunks of the same compiled program:

``train``  plasticity on, ``n_train * epochs`` images in dataset order (as the released code);
``label``  plasticity and threshold adaptation off, the first ``n_label`` training images: each neuron is
           labelled with the class of its highest mean response;
``test``   plasticity off, the first ``n_test`` test images, classified with those labels.

Labelling and testing both start from the state at the end of training, so they are independent: on two
or more cores the test phase runs in a second process beside the labelling (``eval_workers``), with the
same results as one after the other.

After every chunk the state of the phase (weights, thresholds, membrane state, retry-rule state, spike
counts collected so far, position) is written atomically to its checkpoint in ``checkpoint_dir``
(:data:`CHECKPOINT_NAMES`: one for training, one for each evaluation phase); a run started again on the same
folder continues from there and ends with exactly the weights and responses of an uninterrupted run (every
random draw is a function of the seed, the phase and the chunk number).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import brian2 as b2
import numpy as np

from . import evaluation
from .network import (
    N_INPUT,
    build_network,
    fast_forward_first_step,
    initial_state,
    input_layout,
    layout_post_indices,
    read_state,
    state_run_args,
    structure_fields,
    structure_of,
)
from .parameters import EXECUTION_FIELDS, STRUCTURE_FIELDS, DiehlCookParameters

__all__ = [
    "CHECKPOINT_NAME",
    "CHECKPOINT_NAMES",
    "EvalOutcome",
    "eval_workers",
    "run_eval_phase",
    "PhaseData",
    "TrainingResult",
    "ChunkResult",
    "CompiledNetwork",
    "RunawayError",
    "check_state",
    "train_and_evaluate",
    "load_checkpoint",
]

#: checkpoint of the training phase (at its end: the trained state, from which both evaluation phases start)
CHECKPOINT_NAME = "diehl_cook_checkpoint.npz"
#: checkpoints of the labelling and test phases (each may run in its own process)
EVAL_CHECKPOINT_NAMES = {"label": "diehl_cook_checkpoint_label.npz", "test": "diehl_cook_checkpoint_test.npz"}
CHECKPOINT_NAMES = (CHECKPOINT_NAME, *EVAL_CHECKPOINT_NAMES.values())
_CHECKPOINT_FORMAT = 2
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
    eval_workers: int = 1  # processes that ran the labelling and test phases in this call
    eval_seconds: float = 0.0  # wall time of the labelling and test phases in this call


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
    skipped_steps: int = 0  # rest steps applied in closed form (rest_fast_forward), counted by the loop


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
    build_suffix : str
        Appended to the build folder's name: a second process running the same program at the same time
        uses its own folder (a folder is locked while a process has it open; see :meth:`copy_build`).
    """

    def __init__(self, params: DiehlCookParameters, cache_dir: Path, device: str = "bioneuro_standalone",
                 build_suffix: str = ""):
        self.params = params
        self.cache_dir = Path(cache_dir)
        self.device = device
        self.build_suffix = build_suffix
        self.build_seconds = 0.0
        self._project = None
        self.handles = None
        self._layout_key = None
        self._layout = None

    def __enter__(self) -> CompiledNetwork:
        from bioneuro.runner import StandaloneProject, structure_key

        key = structure_key("diehl-cook", structure_of(self.params) | {"device": self.device}) + self.build_suffix
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

    def copy_build(self, suffix: str) -> Path:
        """Seed the build folder of ``CompiledNetwork(..., build_suffix=suffix)`` with a copy of this open,
        built one (compiled files with their times), so that opening it only generates code and compiles
        nothing. A folder that exists already is left alone (its own build keeps it up to date)."""
        source = self._project.directory
        target = source.with_name(source.name + suffix)
        if (target / "main").exists():
            return target
        def copy(to: Path) -> None:
            shutil.copytree(source, to, symlinks=True,
                            ignore=shutil.ignore_patterns("results*", "init_*", "*.lock", "*.tmp"))

        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        copy(partial)
        try:
            os.rename(partial, target)
        except OSError:  # another run made it meanwhile (or a stale incomplete one is in the way)
            shutil.rmtree(partial, ignore_errors=True)
            if not (target / "main").exists():
                shutil.rmtree(target, ignore_errors=True)
                copy(target)
        return target

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
        params: DiehlCookParameters | None = None,
    ) -> ChunkResult:
        """Present up to ``chunk_images`` images (uint8, n x 784) starting from ``state``.

        The run-time values (retry rule, input rate, rest fast-forward) are those of ``params`` (default:
        the parameters the network was built with), which must have the build's structure; ``intensity``
        and ``max_retries`` override its values for this chunk.
        """
        p = self.params if params is None else params
        if params is not None:
            built, given = structure_fields(self.params), structure_fields(params)
            differ = [name for name in STRUCTURE_FIELDS if built[name] != given[name]]
            if differ:
                raise ValueError(f"run_chunk: params differ from the build's structure in {', '.join(differ)}")
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
                h.ctrl.ff_first: fast_forward_first_step(p, state["syn.delay"]),
                h.exc.plastic: float(plastic),
                h.inp.rng_key: int(rng_key),
            }
        )
        device = b2.get_device()
        self._project.run(args, environment=environment)
        for value_name in list(device.run_args_arrays):
            Path(device.project_dir, "static_arrays", value_name).unlink(missing_ok=True)
        new_state = read_state(h, order, state["syn.delay"])
        spike_steps = np.round(np.asarray(h.spikes.t_[:]) / float(p.dt)).astype(np.int64)
        counts, carry = evaluation.chunk_spike_counts(
            spike_steps, h.spikes.i[:], n, slots, p.presentation_steps, p.slot_steps, carry
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
            skipped_steps=int(h.ctrl.ff_skipped_[0]),
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
    "default --set membrane_integration=exponential_euler (or set clamp_refractory_v=true, reduce the "
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
        {f.name: str(getattr(params, f.name)) for f in dataclasses.fields(params) if f.name not in EXECUTION_FIELDS}
        | {"seed": seed, "dataset": dataset},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _chunk_key(seed: int, phase: int, chunk: int) -> int:
    return int(np.random.SeedSequence([seed, 7919, phase, chunk]).generate_state(1)[0] & 0x7FFFFFFF)


def _save_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
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


def _check_checkpoint(run: dict, digest: str, path: Path, phase: str) -> None:
    if int(run.get("format", 1)) != _CHECKPOINT_FORMAT or str(run.get("phase_name", "")) != phase:
        raise ValueError(
            f"{path} was written by another version of bioneuro's Diehl & Cook model; start a new run "
            "(or finish this one with the version that began it)"
        )
    if str(run["digest"]) != digest:
        raise ValueError(
            f"{path} belongs to a run with other parameters, seed or data; "
            "resume with the same settings or start a new run"
        )


def _steps_per_chunk(params: DiehlCookParameters) -> int:
    """Time steps of one compiled chunk: ``chunk_images`` slots of presentation + rest."""
    return params.chunk_images * params.slot_steps


def _training_order(params: DiehlCookParameters) -> np.ndarray:
    """Training image indices in presentation order: the dataset order, ``epochs`` times."""
    return np.arange(params.n_train * params.epochs) % params.n_train


#: with ``eval_workers`` 0, the test phase gets a second process when it has at least this many
#: neuron-images (``n_test * n_neurons``, ~25 s of work here): starting one (Python, code generation of its
#: copy of the program) takes ~5-10 s, which smaller phases would not win back
AUTO_SECOND_PROCESS_WORK = 1_000_000


def eval_workers(params: DiehlCookParameters) -> int:
    """Processes for the labelling and test phases: ``params.eval_workers``, or with 0, 2 when this process
    may use two or more cores and the test phase is large enough (:data:`AUTO_SECOND_PROCESS_WORK`), else 1."""
    if params.eval_workers:
        return params.eval_workers
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    large = params.n_test * params.n_neurons >= AUTO_SECOND_PROCESS_WORK
    return 2 if cores >= 2 and large else 1


@dataclasses.dataclass
class EvalOutcome:
    """What an evaluation phase (labelling or test) produced so far."""

    counts: np.ndarray  # (n_accepted, n_neurons) uint16
    labels: np.ndarray
    seconds: float
    shown: int
    n_chunks: int  # chunks of the phase so far
    chunks_run: int  # of those, run by this call
    complete: bool
    n_forced: int  # images accepted by the retry cap with too few spikes
    raster_neuron: np.ndarray  # with record_spikes: spikes of the phase, time steps from the phase's start
    raster_step: np.ndarray


def _eval_phase_complete(checkpoint: Path | None, digest: str, name: str, n_images: int) -> bool:
    if checkpoint is None or not checkpoint.is_file():
        return False
    _, run = _unpack(load_checkpoint(checkpoint))
    _check_checkpoint(run, digest, checkpoint, name)
    return int(run["position"]) >= n_images


def run_eval_phase(
    compiled: CompiledNetwork,
    params: DiehlCookParameters,
    name: str,
    images: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    start_state: dict,
    *,
    seed: int,
    digest: str,
    checkpoint: Path | None,
    on_chunk=None,
    max_chunks: int | None = None,
    parent_pid: int | None = None,
) -> EvalOutcome:
    """Present ``images[order]`` with plasticity off, from ``start_state`` (the state at the end of training),
    chunk after chunk; resumes from ``checkpoint`` and writes it after every chunk.

    ``on_chunk(n_images)`` is called after each chunk; ``max_chunks`` bounds the chunks of this call;
    with ``parent_pid``, the loop stops when that process is gone (an orphaned worker). ``compiled`` must
    be a build of the structure of ``params``.
    """
    p = params
    n, slots = p.n_neurons, p.chunk_images
    phase = PHASES.index(name)
    steps_per_chunk = _steps_per_chunk(p)
    if checkpoint is not None and checkpoint.is_file():
        state, run = _unpack(load_checkpoint(checkpoint))
        _check_checkpoint(run, digest, checkpoint, name)
        position, chunk, carry = int(run["position"]), int(run["chunk"]), run["carry"]
        counts, seen = [run["counts"]], [run["labels"]]
        seconds, shown = float(run["seconds"]), int(run["shown"])
        raster_neuron, raster_step = [run["raster_neuron"]], [run["raster_step"]]
    else:
        state, position, chunk, carry = start_state, 0, 0, np.zeros(n, dtype=np.int64)
        counts, seen = [np.zeros((0, n), np.uint16)], [np.zeros(0, np.int64)]
        seconds, shown = 0.0, 0
        raster_neuron, raster_step = [np.zeros(0, np.int32)], [np.zeros(0, np.int64)]
    chunks_run = 0
    while position < len(order) and (max_chunks is None or chunks_run < max_chunks):
        if parent_pid is not None and os.getppid() != parent_pid:
            raise SystemExit("the run that started this evaluation process has ended")
        indices = order[position : position + slots]
        started = time.perf_counter()
        out = compiled.run_chunk(state, images[indices], 0.0, _chunk_key(seed, phase, chunk), carry, params=p)
        seconds += time.perf_counter() - started
        carry, state = out.carry, out.state
        counts.append(out.counts.astype(np.uint16))
        seen.append(np.asarray(labels[indices[: out.n_accepted]], dtype=np.int64))
        shown += out.n_presentations
        if p.record_spikes:
            raster_neuron.append(out.spike_neurons.astype(np.int32))
            raster_step.append(out.spike_steps.astype(np.int64) + chunk * steps_per_chunk)
        position += out.n_accepted
        chunk += 1
        chunks_run += 1
        if checkpoint is not None:
            counts, seen = [np.concatenate(counts)], [np.concatenate(seen)]
            raster_neuron, raster_step = [np.concatenate(raster_neuron)], [np.concatenate(raster_step)]
            run = {
                "format": _CHECKPOINT_FORMAT, "phase_name": name, "digest": digest, "position": position,
                "chunk": chunk, "carry": carry, "counts": counts[0], "labels": seen[0], "seconds": seconds,
                "shown": shown, "raster_neuron": raster_neuron[0], "raster_step": raster_step[0],
            }
            _save_atomic(checkpoint, _pack(state, run))
        if on_chunk is not None:
            on_chunk(out.n_accepted)
    return EvalOutcome(
        counts=np.concatenate(counts), labels=np.concatenate(seen), seconds=seconds, shown=shown,
        n_chunks=chunk, chunks_run=chunks_run, complete=position >= len(order),
        n_forced=int(state["ctrl.n_forced"][0]) - int(start_state["ctrl.n_forced"][0]),
        raster_neuron=np.concatenate(raster_neuron), raster_step=np.concatenate(raster_step),
    )


class _EvalProcess:
    """An evaluation phase running in a second process (``eval_worker``) on its own copy of the compiled
    program; its progress lines are read by a thread and passed on by :meth:`poll` and :meth:`result`."""

    def __init__(self, compiled: CompiledNetwork, params: DiehlCookParameters, name: str, images, labels, order,
                 start_state, *, seed, digest, checkpoint, on_progress):
        suffix = "-eval1"
        compiled.copy_build(suffix)
        self._folder = tempfile.TemporaryDirectory(prefix="bioneuro-dc-eval-")
        folder = Path(self._folder.name)
        self._result = folder / "outcome.pkl"
        spec = {
            "params": params, "cache_dir": str(Path(compiled.cache_dir).resolve()), "device": compiled.device,
            "build_suffix": suffix, "name": name, "images": np.asarray(images[order]),
            "labels": np.asarray(labels[order]), "start_state": start_state, "seed": seed, "digest": digest,
            "checkpoint": Path(checkpoint).resolve() if checkpoint is not None else None,
            "parent_pid": os.getpid(), "result": str(self._result),
        }
        with open(folder / "spec.pkl", "wb") as handle:
            pickle.dump(spec, handle)
        self._stderr = open(folder / "stderr.txt", "w+b")  # noqa: SIM115 (closed in stop())
        self._on_progress = on_progress
        self._lines: queue.Queue = queue.Queue()
        # The child must import the bioneuro this process runs: it starts in the scratch folder (``-m`` puts the
        # working directory first on sys.path, where a source checkout's bioneuro/ lacks the installed models)
        # with the folder holding this bioneuro first on its path.
        import bioneuro

        environment = dict(os.environ)
        home = str(Path(bioneuro.__file__).resolve().parents[1])
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [home, environment.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bioneuro.models.diehl_cook.eval_worker", str(folder / "spec.pkl")],
            stdout=subprocess.PIPE, stderr=self._stderr, text=True, cwd=folder, env=environment,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("progress "):
                self._lines.put(int(line.split()[1]))

    def poll(self) -> None:
        """Pass on the progress reported so far (non-blocking)."""
        while True:
            try:
                self._on_progress(self._lines.get_nowait())
            except queue.Empty:
                return

    def result(self) -> EvalOutcome:
        """Wait for the phase to end; its outcome, or the process's error as a RuntimeError."""
        while True:
            try:
                self.process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                self.poll()
        self._reader.join()
        self.poll()
        if self.process.returncode != 0 or not self._result.is_file():
            self._stderr.seek(0)
            said = self._stderr.read().decode(errors="replace").strip()[-3000:]
            raise RuntimeError(
                f"the evaluation process failed (exit status {self.process.returncode}); run again with --resume "
                f"to continue from the last checkpoint. Its output:\n{said or '(none)'}"
            )
        with open(self._result, "rb") as handle:
            return EvalOutcome(**pickle.load(handle))

    def stop(self) -> None:
        """End the process if it still runs (an error in this process) and remove its files."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self._reader.join(timeout=5)
        self.process.stdout.close()
        self._stderr.close()
        self._folder.cleanup()


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
    """Train, label and test; resume from ``checkpoint_dir`` when it holds checkpoints of the same run.

    Labelling and testing both start from the state at the end of training (as the released code, which
    tests a network restored from the trained weights and thresholds) and are independent: with
    ``eval_workers`` 2 (see :func:`eval_workers`) the test phase runs in a second process beside the
    labelling, on its own copy of the compiled program; the results are the same either way.

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
        Folder of the checkpoint files (:data:`CHECKPOINT_NAMES`); ``None`` disables checkpoints.
    progress : bool
        Show a tqdm bar (images per second, running accuracy).
    stop_after_chunks : int, optional
        Return early after this many chunks in this call (tests of resumption; phases then run one after the
        other); the result is then partial.
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
    images, order = data.train_images, _training_order(p)
    n = p.n_neurons
    slots = p.chunk_images
    steps_per_chunk = _steps_per_chunk(p)
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    checkpoint = folder / CHECKPOINT_NAME if folder is not None else None
    eval_checkpoints = {name: (folder / EVAL_CHECKPOINT_NAMES[name] if folder else None) for name in PHASES[1:]}

    if checkpoint is not None and checkpoint.is_file():
        state, run = _unpack(load_checkpoint(checkpoint))
        _check_checkpoint(run, digest, checkpoint, "train")
        position, chunk = int(run["position"]), int(run["chunk"])
        carry = run["carry"]
        recent_counts = list(run["counts_recent"])
        recent_labels = list(run["labels_recent"])
        history = [tuple(row) for row in run["history"].reshape(-1, 2)]
        train_seconds, train_shown = float(run["seconds"]), int(run["shown"])
        kept = {key: [run[key]] if key in run else [] for key in _KEPT}
    else:
        state = initial_state(p, np.random.default_rng([seed, 1]))
        position, chunk = 0, 0
        carry = np.zeros(n, dtype=np.int64)
        recent_counts, recent_labels, history = [], [], []
        train_seconds, train_shown = 0.0, 0
        kept = {key: [] for key in _KEPT}

    total_images = len(order) + p.n_label + p.n_test
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total_images, initial=position, unit="img", file=sys.stderr, dynamic_ncols=True)

    chunks_this_call = 0
    own = compiled is None
    if own:
        compiled = CompiledNetwork(p, cache_dir).__enter__()
    outcomes: dict[str, EvalOutcome] = {}
    workers_used = 1
    eval_seconds = 0.0
    try:
        # --- training: chunks of the compiled program with plasticity on -------------------------------
        while position < len(order):
            if stop_after_chunks is not None and chunks_this_call >= stop_after_chunks:
                break
            indices = order[position : position + slots]
            started = time.perf_counter()
            out = compiled.run_chunk(state, images[indices], 1.0, _chunk_key(seed, 0, chunk), carry, params=p)
            train_seconds += time.perf_counter() - started
            carry = out.carry
            n_done = out.n_accepted
            if p.record_spikes:
                kept["raster_neuron"].append(out.spike_neurons)
                kept["raster_step"].append(out.spike_steps + chunk * steps_per_chunk)
            train_shown += out.n_presentations
            chunk_counts = out.counts.astype(np.uint16)
            chunk_labels = data.train_labels[indices[:n_done]]
            recent = np.asarray(recent_counts[-_RUNNING_WINDOW:], dtype=np.float64).reshape(-1, n)
            if len(recent):
                assigned = evaluation.assign_labels(recent, np.asarray(recent_labels[-_RUNNING_WINDOW:]))
                acc = evaluation.accuracy(evaluation.predict(chunk_counts, assigned), chunk_labels)
            else:
                acc = float("nan")
            history.append((position + n_done, acc))
            _, fired = np.nonzero(chunk_counts)
            kept["train_nonzero"].append(np.count_nonzero(chunk_counts, axis=1))
            kept["train_neuron"].append(fired)
            kept["train_count"].append(chunk_counts[chunk_counts > 0])
            recent_counts.extend(list(chunk_counts))
            recent_labels.extend(chunk_labels.tolist())
            del recent_counts[:-_RUNNING_WINDOW]
            del recent_labels[:-_RUNNING_WINDOW]
            state = out.state
            position += n_done
            chunk += 1
            chunks_this_call += 1
            if bar is not None:
                bar.update(n_done)
                bar.set_postfix(phase="train", acc=f"{acc:.3f}", refresh=False)
            if checkpoint is not None:
                run = {
                    "format": _CHECKPOINT_FORMAT, "phase_name": "train", "digest": digest, "position": position,
                    "chunk": chunk, "carry": carry, "seconds": train_seconds, "shown": train_shown,
                    "history": np.asarray(history, dtype=np.float64).reshape(-1, 2),
                    "counts_recent": np.asarray(recent_counts, dtype=np.uint16).reshape(-1, n),
                    "labels_recent": np.asarray(recent_labels, dtype=np.int64),
                }
                for key in kept:
                    kept[key] = [_joined(kept, key)]
                    run[key] = kept[key][0]
                _save_atomic(checkpoint, _pack(state, run))

        # --- labelling and testing: plasticity off, each from the trained state --------------------------
        trained = position >= len(order)
        if trained:
            budget = None if stop_after_chunks is None else stop_after_chunks - chunks_this_call
            jobs = {
                "label": (data.train_images, data.train_labels, np.arange(p.n_label)),
                "test": (data.test_images, data.test_labels, np.arange(p.n_test)),
            }
            common = dict(seed=seed, digest=digest)

            def advance(phase_name):
                def on_chunk(k):
                    if bar is not None:
                        bar.update(k)
                        bar.set_postfix(phase=phase_name, refresh=False)
                return on_chunk

            started = time.perf_counter()
            helper = None
            if (budget is None and eval_workers(p) >= 2
                    and not _eval_phase_complete(eval_checkpoints["test"], digest, "test", p.n_test)):
                helper = _EvalProcess(compiled, p, "test", *jobs["test"], state, checkpoint=eval_checkpoints["test"],
                                      on_progress=advance("label+test"), **common)
                workers_used = 2
            try:
                label_progress = advance("label" if helper is None else "label+test")

                def on_label_chunk(k):
                    label_progress(k)
                    if helper is not None:
                        helper.poll()

                outcomes["label"] = run_eval_phase(
                    compiled, p, "label", *jobs["label"], state, checkpoint=eval_checkpoints["label"],
                    on_chunk=on_label_chunk, max_chunks=budget, **common,
                )
                if helper is not None:
                    outcomes["test"] = helper.result()
                elif outcomes["label"].complete:
                    rest = None if budget is None else budget - outcomes["label"].chunks_run
                    outcomes["test"] = run_eval_phase(
                        compiled, p, "test", *jobs["test"], state, checkpoint=eval_checkpoints["test"],
                        on_chunk=advance("test"), max_chunks=rest, **common,
                    )
            finally:
                if helper is not None:
                    helper.stop()
            eval_seconds = time.perf_counter() - started
            chunks_this_call += sum(outcome.chunks_run for outcome in outcomes.values())
    finally:
        if own:
            compiled.__exit__(None, None, None)
    empty = EvalOutcome(np.zeros((0, n), np.uint16), np.zeros(0, np.int64), 0.0, 0, 0, 0, False, 0,
                        np.zeros(0, np.int32), np.zeros(0, np.int64))
    label, test = outcomes.get("label", empty), outcomes.get("test", empty)
    label_counts, label_labels = label.counts, label.labels
    test_counts, test_labels = test.counts, test.labels
    assignments = evaluation.assign_labels(label_counts, label_labels) if len(label_labels) else np.full(n, -1)
    predictions = evaluation.predict(test_counts, assignments) if len(test_labels) else np.zeros(0, int)
    if bar is not None:
        if test.complete and label.complete:
            bar.set_postfix(phase="done", test_acc=f"{evaluation.accuracy(predictions, test_labels):.4f}")
        bar.close()
    # the raster of the whole run: training, then labelling, then testing, chunks without gaps
    label_offset = chunk * steps_per_chunk
    test_offset = (chunk + label.n_chunks) * steps_per_chunk
    spike_neurons = np.concatenate([_joined(kept, "raster_neuron"), label.raster_neuron, test.raster_neuron])
    spike_steps = np.concatenate([_joined(kept, "raster_step"), label.raster_step + label_offset,
                                  test.raster_step + test_offset])
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
        spike_neurons=spike_neurons.astype(np.int32),
        spike_steps=spike_steps.astype(np.int64),
        n_steps=(chunk + label.n_chunks + test.n_chunks) * steps_per_chunk,
        test_labels=test_labels,
        test_predictions=predictions,
        history=np.asarray(history, dtype=np.float64).reshape(-1, 2),
        n_forced=int(state["ctrl.n_forced"][0]) + label.n_forced + test.n_forced,
        n_presentations={"train": train_shown, "label": label.shown, "test": test.shown},
        seconds={"train": train_seconds, "label": label.seconds, "test": test.seconds},
        build_seconds=compiled.build_seconds,
        n_chunks_run=chunks_this_call,
        eval_workers=workers_used,
        eval_seconds=eval_seconds,
    )
