"""Build, run and record: device selection, seeding, compiled-build caching, progress and provenance.

Two devices run the same model code:

``runtime``
    Brian2's runtime device; code generation target from ``$BIONEURO_CODEGEN`` (``cython`` by default, with
    its compiled code cached in ``~/.cython/brian_extensions``; ``numpy`` needs no compiler and starts fast).
    For interactive and short work.
``standalone``
    Brian2's C++ standalone device through :class:`StandaloneProject`: the network is generated and compiled
    once into a build folder keyed by its structure, then run as often as needed with ``run_args`` (initial
    values, TimedArray contents) and a seed taken from the environment, so that a new seed, new data or a new
    parameter value held in a variable does not recompile. For long work.

:func:`execute` runs a registered :class:`~bioneuro.registry.Runnable`, times it, gathers provenance, draws
its figures and writes the run folder atomically (:func:`bioneuro.io.record.write_run`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import brian2 as b2
import numpy as np

__all__ = [
    "DEVICES",
    "RunContext",
    "default_cache_dir",
    "codegen_target",
    "runtime_device",
    "StandaloneProject",
    "run_network",
    "structure_key",
    "provenance",
    "git_revision",
    "execute",
]

DEVICES = ("runtime", "standalone")
SEED_VARIABLE = "BIONEURO_SEED"

# Inserted at the top of a standalone ``main``: seeds every random generator from $BIONEURO_SEED when set,
# so the compiled program takes its seed at run time instead of having it written into the code.
_SEED_FROM_ENVIRONMENT = f"""
{{
    const char* _bioneuro_seed_text = std::getenv("{SEED_VARIABLE}");
    if (_bioneuro_seed_text != NULL) {{
        unsigned long _bioneuro_seed = std::strtoul(_bioneuro_seed_text, NULL, 10);
        for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)
            brian::_random_generators[_i].seed(_bioneuro_seed + _i);
    }}
}}
"""


def default_cache_dir() -> Path:
    """``$BIONEURO_CACHE`` or ``~/.cache/bioneuro``: compiled builds and downloaded data live here."""
    return Path(os.environ.get("BIONEURO_CACHE", Path.home() / ".cache" / "bioneuro")).expanduser()


def codegen_target() -> str:
    """Code generation target of the runtime device: ``$BIONEURO_CODEGEN`` (``cython`` or ``numpy``)."""
    target = os.environ.get("BIONEURO_CODEGEN", "cython")
    if target not in ("cython", "numpy"):
        raise ValueError(f"BIONEURO_CODEGEN={target!r} is not supported; expected 'cython' or 'numpy'")
    return target


@dataclasses.dataclass
class RunContext:
    """How a runnable should run.

    Attributes
    ----------
    seed : int or None
        Seed of every random draw (numpy and Brian2); ``None`` draws a fresh one, recorded in provenance.
    device : str
        ``"runtime"`` or ``"standalone"``.
    progress : bool
        Show progress bars (tqdm) on long work.
    out_dir : Path or None
        The run folder being produced (checkpoints may be written under it); ``None`` in pure API use.
    cache_dir : Path
        Root of compiled standalone builds and data caches.
    resume : Path or None
        An earlier, interrupted run folder to continue from (runnables that support it).
    """

    seed: int | None = None
    device: str = "runtime"
    progress: bool = True
    out_dir: Path | None = None
    cache_dir: Path = dataclasses.field(default_factory=default_cache_dir)
    resume: Path | None = None

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device {self.device!r} is not one of {', '.join(DEVICES)}")
        if self.seed is None:
            self.seed = int(np.random.SeedSequence().entropy % (2**31 - 1))
        if not isinstance(self.seed, int | np.integer) or isinstance(self.seed, bool) or self.seed < 0:
            raise ValueError(f"seed {self.seed!r} is not allowed; expected a non-negative integer")
        self.seed = int(self.seed)
        self.cache_dir = Path(self.cache_dir)

    def rng(self, stream: int = 0) -> np.random.Generator:
        """An independent numpy Generator for this run's seed (``stream`` separates uses)."""
        return np.random.default_rng([self.seed, stream])


@contextlib.contextmanager
def runtime_device(seed: int | None = None) -> Iterator[None]:
    """Select Brian2's runtime device (target from :func:`codegen_target`) and seed it."""
    b2.set_device("runtime")
    b2.prefs.codegen.target = codegen_target()
    b2.start_scope()
    if seed is not None:
        b2.seed(seed)
    yield


def structure_key(name: str, structure: Mapping[str, Any]) -> str:
    """A build-folder name for a network: ``name`` plus a hash of what changes its generated code."""
    text = json.dumps({k: str(v) for k, v in sorted(structure.items())}, sort_keys=True)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


class StandaloneProject:
    """Compile a network once with C++ standalone and run it many times.

    Use as a context manager: inside it, Brian2 objects are created on the standalone device; call
    :meth:`build` once after the network is complete, then :meth:`run` as often as needed.

    Parameters
    ----------
    key : str
        Build-folder name; use :func:`structure_key` so that networks with identical generated code share
        a folder (Brian2 rewrites only changed files, so an identical rebuild does not recompile).
    cache_dir : Path, optional
        Root of build folders (``<cache_dir>/standalone/<key>``).
    fast_math_link : bool
        Also link with ``-ffast-math`` so denormals are flushed to zero (see PERFORMANCE notes in the
        Diehl & Cook model); compilation already uses it.
    device : str
        ``"bioneuro_standalone"`` (Brian2's C++ standalone with bioneuro's spike queue, templates and
        compiler flags, see :mod:`bioneuro.devices`) or Brian2's own ``"cpp_standalone"``.
    """

    def __init__(
        self,
        key: str,
        cache_dir: Path | None = None,
        *,
        fast_math_link: bool = False,
        device: str = "bioneuro_standalone",
    ):
        from bioneuro import devices

        if device not in ("cpp_standalone", devices.DEVICE_NAME):
            raise ValueError(f"device must be 'cpp_standalone' or {devices.DEVICE_NAME!r}, got {device!r}")
        self.directory = Path(cache_dir or default_cache_dir()) / "standalone" / key
        self.fast_math_link = fast_math_link
        self.device = device
        self.built = False
        self.n_runs = 0
        self.build_seconds = 0.0
        self._lock = None
        self._saved_link_args = None

    def __enter__(self) -> StandaloneProject:
        from brian2.utils.filelock import FileLock

        from bioneuro.cache import mark_used

        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.directory) + ".lock")
        self._lock.acquire()
        mark_used(self.directory)
        self._saved_link_args = list(b2.prefs.codegen.cpp.extra_link_args)
        if self.fast_math_link and "-ffast-math" not in self._saved_link_args:
            b2.prefs.codegen.cpp.extra_link_args = self._saved_link_args + ["-ffast-math"]
        b2.set_device(self.device, directory=str(self.directory), build_on_run=False)
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        b2.start_scope()
        b2.get_device().insert_code("main", _SEED_FROM_ENVIRONMENT)
        _remove_orphaned_results(self.directory)
        return self

    def build(self) -> None:
        """Generate code and compile (only changed files are recompiled)."""
        start = time.perf_counter()
        b2.get_device().build(directory=str(self.directory), compile=True, run=False, with_output=False)
        self.build_seconds = time.perf_counter() - start
        self.built = True

    def run(
        self,
        run_args: Mapping[Any, Any] | None = None,
        *,
        seed: int | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """Run the compiled program; ``run_args`` maps ``group.variable`` or a TimedArray to new values.

        ``environment`` holds extra environment variables for the program (e.g. the file named by
        :func:`bioneuro.devices.post_indices_variable`); they are removed again afterwards.
        """
        if not self.built:
            raise RuntimeError("StandaloneProject.run() called before build()")
        extra = dict(environment or {})
        if seed is not None:
            extra[SEED_VARIABLE] = str(int(seed))
        previous = {name: os.environ.get(name) for name in extra}
        os.environ.update(extra)
        device = b2.get_device()
        try:
            # One results folder per process: a program whose Python process was killed (kill -9) runs on
            # and writes its results; a resumed run must not read or share them.
            device.run(run_args=dict(run_args or {}), with_output=False, results_directory=_results_folder())
        except RuntimeError as error:
            # Brian2's message names only the folder; the program's own explanation is in stdout.txt
            output = Path(device.results_dir or "", "stdout.txt")
            said = output.read_text(errors="replace").strip()[-2000:] if output.is_file() else ""
            raise RuntimeError(f"{error}; program output: {said or '(none)'}") from error
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self.n_runs += 1

    def __exit__(self, *exc_info: Any) -> None:
        try:
            b2.get_device().reinit()
            b2.set_device("runtime")
            b2.prefs.codegen.cpp.extra_link_args = self._saved_link_args
        finally:
            if self._lock is not None:
                self._lock.release()


_RESULTS_PREFIX = "results-"


def _results_folder(pid: int | None = None) -> str:
    """Results folder (relative to a project) of the process ``pid`` (default: this one)."""
    return f"{_RESULTS_PREFIX}{os.getpid() if pid is None else pid}"


def _remove_orphaned_results(project: Path) -> None:
    """Delete the results folders of processes that no longer exist (runs killed or finished long ago)."""
    for folder in project.glob(_RESULTS_PREFIX + "*"):
        pid = folder.name[len(_RESULTS_PREFIX):]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # a live process of another user


class _Progress:
    """Adapter from Brian2's ``report`` callback to a tqdm bar in simulated milliseconds."""

    def __init__(self, duration: b2.Quantity, description: str):
        from tqdm.auto import tqdm

        self.total_ms = float(duration / b2.ms)
        self.bar = tqdm(total=round(self.total_ms), unit="ms", desc=description, leave=False)

    def __call__(self, elapsed: Any, completed: float, start: Any, duration: Any) -> None:
        self.bar.n = round(completed * self.total_ms)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def run_network(
    network: b2.Network,
    duration: b2.Quantity,
    *,
    progress: bool = False,
    description: str = "simulating",
    namespace: Mapping[str, Any] | None = None,
) -> None:
    """Run ``network`` for ``duration`` with an explicit namespace and an optional progress bar.

    On the standalone device this only records the run in the generated program (Brian2 semantics); use
    :class:`StandaloneProject` to build and execute it.
    """
    from bioneuro.quantities import check_dimension, check_positive

    check_dimension(duration, b2.second, name="duration")
    check_positive(duration, name="duration")
    standalone = b2.get_device().__class__.__name__ != "RuntimeDevice"
    if progress and not standalone:
        bar = _Progress(duration, description)
        try:
            network.run(duration, namespace=dict(namespace or {}), report=bar, report_period=1 * b2.second)
        finally:
            bar.close()
    else:
        network.run(duration, namespace=dict(namespace or {}))


# ------------------------------------------------------------------------------------------ provenance


def git_revision(path: Path | None = None) -> str | None:
    """The git commit of the bioneuro source tree (with ``+dirty`` when modified), or None."""
    root = Path(path or Path(__file__).resolve().parent.parent)
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
            text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return revision + ("+dirty" if dirty else "")


def provenance(context: RunContext, command: list[str] | None = None) -> dict[str, Any]:
    """Command, git revision, versions, machine, device and seed of a run."""
    import h5py
    import scipy

    import bioneuro

    return {
        "command": " ".join(command if command is not None else sys.argv),
        "git_revision": git_revision(),
        "bioneuro_version": bioneuro.__version__,
        "python_version": platform.python_version(),
        "brian2_version": b2.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "h5py_version": h5py.__version__,
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus".strip(),
        "platform": platform.platform(),
        "device": context.device,
        "codegen_target": codegen_target() if context.device == "runtime" else "cpp_standalone",
        "seed": context.seed,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def execute(
    runnable: Any,
    parameters: Any,
    context: RunContext,
    *,
    out_root: Path | str = "results",
    command: list[str] | None = None,
    draw_figures: bool = True,
) -> Path:
    """Run a :class:`~bioneuro.registry.Runnable` and write its run folder; returns the folder.

    The runnable works in the hidden working folder of its future run folder (``context.out_dir``), where it
    may keep checkpoints. On success the folder is completed and renamed into place. On an error, nothing is
    left behind, unless the runnable wrote checkpoints (``checkpoints/`` in the working folder) and the run
    was interrupted: then the working folder stays, to be continued with ``--resume``.
    """
    import shutil

    from bioneuro.config import parameters_to_dict
    from bioneuro.io.record import new_run_folder, partial_folder, write_run

    out_root = Path(out_root)
    _check_writable(out_root)
    info = provenance(context, command)
    if context.resume is not None:
        work = Path(context.resume)
        if not work.is_dir():
            raise FileNotFoundError(f"--resume {str(work)!r}: no such run folder")
        final = work.parent / work.name.removeprefix(".").removesuffix(".partial")
    else:
        final = new_run_folder(runnable.kind, runnable.name, out_root, info["git_revision"])
        work = partial_folder(final)
        work.mkdir(parents=True)
    context.out_dir = work
    started = time.perf_counter()
    try:
        record = runnable.execute(parameters, context)
        info["wall_time_run_s"] = round(time.perf_counter() - started, 3)
        record.parameters = {**parameters_to_dict(parameters), **record.parameters}
        record.provenance = {**info, **record.provenance}
        figure_start = time.perf_counter()
        figures = runnable.figures(record) if (draw_figures and runnable.figures is not None) else {}
        record.provenance["wall_time_figures_s"] = round(time.perf_counter() - figure_start, 3)
        return write_run(record, out_root, figures, folder=final)
    except BaseException as error:
        interrupted = not isinstance(error, Exception)
        if not (interrupted and (work / "checkpoints").exists()):
            shutil.rmtree(work, ignore_errors=True)
            _remove_empty_parents(work.parent, stop=out_root)
        raise


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    stop = stop.resolve()
    folder = folder.resolve()
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
    with contextlib.suppress(OSError):
        if folder == stop:
            folder.rmdir()


def _check_writable(out_root: Path) -> None:
    probe = out_root
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise PermissionError(f"output folder {str(out_root)!r} cannot be written (check --out)")
