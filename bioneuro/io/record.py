"""Run records: what every simulation, training and analysis leaves behind, in one HDF5 layout.

A run folder is ``<out_root>/<kind>/<name>/<stamp>-<gitsha>/`` holding ``run.h5``, ``metrics.json``,
``manifest.json`` and figures (``*.png``). The folder is assembled under a hidden ``.partial`` name and renamed
into place only when every file is complete, so an interrupted write never leaves a folder that looks like a
run; ``run.h5`` additionally carries ``complete=True`` as the last attribute written, and :func:`read_run`
refuses a file without it.

HDF5 layout of ``run.h5`` (format ``bioneuro-run``, version 1)::

    /                      attrs: format, format_version, kind, name, complete
    /parameters            attrs: one per parameter (quantities as "20.0 ms"); attr __json__: nested JSON
    /metrics               attrs: one per metric (units in the key: rate_Hz)
    /provenance            attrs: command, git revision, versions, device, seed, wall times
    /spikes/<population>/  node_ids (int64), timestamps (float64, attr unit="s");
                           attrs n_neurons, t_start_s and t_stop_s (observation window, when known)
    /states/<population>/<variable>/  times (attr unit), values [n_times, n_recorded] (attr unit), node_ids
    /weights/<synapses>/   pre, post (int64), weights (attr unit)
    /arrays/<name>         any array (attr unit)

Readers in :mod:`bioneuro.analysis` use only ``/spikes`` and ``/states`` and never need Brian2 objects.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from brian2 import second
from brian2.units.fundamentalunits import Quantity, get_dimensions

from bioneuro.quantities import format_quantity, parse_quantity, to_jsonable

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SpikeTrains",
    "StateTrace",
    "SynapseWeights",
    "RunRecord",
    "write_run",
    "read_run",
    "write_run_h5",
    "read_run_h5",
    "run_folder_name",
    "new_run_folder",
    "partial_folder",
    "IncompleteRunError",
    "save_figures",
    "FIGURE_DPI",
]

FORMAT = "bioneuro-run"
FORMAT_VERSION = 1


class IncompleteRunError(ValueError):
    """Raised when a file is not a complete bioneuro run record."""


@dataclasses.dataclass
class SpikeTrains:
    """Spikes of one population as parallel arrays (the layout of NWB's Units table, flattened).

    Attributes
    ----------
    node_ids : ndarray of int64
        Index of the neuron that fired, for each spike.
    timestamps : Quantity
        Spike times (time dimension), same length as ``node_ids``.
    n_neurons : int
        Size of the population (neurons that never fired still count).
    t_start, t_stop : Quantity, optional
        Observation window (time dimension); analysis uses it for rates. Give it whenever it is known:
        without it, readers can only infer the window from the spikes.
    """

    node_ids: np.ndarray
    timestamps: Quantity
    n_neurons: int
    t_start: Quantity | None = None
    t_stop: Quantity | None = None

    def __post_init__(self) -> None:
        self.node_ids = np.asarray(self.node_ids, dtype=np.int64)
        if len(self.node_ids) != len(self.timestamps):
            raise ValueError(
                f"spike arrays differ in length: {len(self.node_ids)} node ids, {len(self.timestamps)} timestamps"
            )
        if self.n_neurons < 0 or (len(self.node_ids) and self.node_ids.max() >= self.n_neurons):
            raise ValueError(f"node ids must lie in [0, n_neurons={self.n_neurons})")

    @property
    def times_s(self) -> np.ndarray:
        return _strip(self.timestamps, "s")


@dataclasses.dataclass
class StateTrace:
    """Sampled state variable: ``values[k, j]`` is the value of neuron ``node_ids[j]`` at ``times[k]``."""

    times: Quantity
    values: Any
    node_ids: np.ndarray


@dataclasses.dataclass
class SynapseWeights:
    """Synaptic weights as (pre, post, weight) triples."""

    pre: np.ndarray
    post: np.ndarray
    weights: Any


@dataclasses.dataclass
class RunRecord:
    """Everything a run produced, with units (see the module docstring for the file layout)."""

    kind: str
    name: str
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    spikes: dict[str, SpikeTrains] = dataclasses.field(default_factory=dict)
    states: dict[str, dict[str, StateTrace]] = dataclasses.field(default_factory=dict)
    weights: dict[str, SynapseWeights] = dataclasses.field(default_factory=dict)
    arrays: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    provenance: dict[str, Any] = dataclasses.field(default_factory=dict)


# ----------------------------------------------------------------------------------------------- units


def _unit_of(value: Any) -> tuple[np.ndarray, str]:
    """Split a quantity into (float array in base SI units, unit string that parse_quantity reads)."""
    if isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless:
        dims = get_dimensions(value)
        unit_text = format_quantity(Quantity(1.0, dim=dims)).split(" ", 1)[1]
        scale = float(parse_quantity("1 " + unit_text) / Quantity(1.0, dim=dims))
        return np.asarray(value / Quantity(scale, dim=dims), dtype=float), unit_text
    return np.asarray(value), ""


def _strip(value: Any, unit_text: str) -> np.ndarray:
    if isinstance(value, Quantity):
        return np.asarray(value / parse_quantity("1 " + unit_text), dtype=float)
    return np.asarray(value, dtype=float)


def _with_unit(data: np.ndarray, unit_text: str) -> Any:
    if not unit_text:
        return data
    return data * parse_quantity("1 " + unit_text)


def _write_array(group: h5py.Group, name: str, value: Any) -> None:
    data, unit_text = _unit_of(value)
    compression = "gzip" if data.size > 4096 and data.dtype != object else None
    if data.dtype.kind in "USO":
        data = np.asarray(data, dtype=h5py.string_dtype())
        compression = None
    dataset = group.create_dataset(name, data=data, compression=compression)
    dataset.attrs["unit"] = unit_text


def _read_array(dataset: h5py.Dataset) -> Any:
    data = dataset[()]
    if isinstance(data, bytes):
        data = data.decode()
    elif isinstance(data, np.ndarray) and data.dtype.kind == "O":
        data = np.asarray([d.decode() if isinstance(d, bytes) else d for d in data.ravel()]).reshape(data.shape)
    return _with_unit(data, dataset.attrs.get("unit", ""))


def _attr_value(value: Any) -> Any:
    if isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless:
        return format_quantity(value) if np.ndim(value) == 0 else json.dumps(to_jsonable(value))
    value = to_jsonable(value)
    if value is None:
        return "None"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _write_attrs(group: h5py.Group, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        group.attrs[str(key)] = _attr_value(value)
    group.attrs["__json__"] = json.dumps(to_jsonable(dict(values)))


def _restore_units(value: Any) -> Any:
    """Turn strings such as ``"20.0 ms"`` back into quantities, recursively; leave other strings alone."""
    if isinstance(value, dict):
        return {key: _restore_units(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore_units(item) for item in value]
    if isinstance(value, str) and " " in value and value[:1] in "+-.0123456789":
        try:
            return parse_quantity(value)
        except (TypeError, ValueError):
            return value
    return value


def _read_attrs(group: h5py.Group) -> dict[str, Any]:
    if "__json__" in group.attrs:
        return _restore_units(json.loads(group.attrs["__json__"]))
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in group.attrs.items()}


# --------------------------------------------------------------------------------------------- writing


def write_run_h5(record: RunRecord, path: str | Path) -> Path:
    """Write ``record`` to ``path`` atomically (temporary file, then rename); returns ``path``."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=".run-", suffix=".h5.tmp", dir=path.parent)
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as h5:
            h5.attrs["format"] = FORMAT
            h5.attrs["format_version"] = FORMAT_VERSION
            h5.attrs["kind"] = record.kind
            h5.attrs["name"] = record.name
            _write_attrs(h5.create_group("parameters"), record.parameters)
            _write_attrs(h5.create_group("metrics"), record.metrics)
            _write_attrs(h5.create_group("provenance"), record.provenance)
            spikes = h5.create_group("spikes")
            for population, trains in record.spikes.items():
                group = spikes.create_group(population)
                group.attrs["n_neurons"] = int(trains.n_neurons)
                group.create_dataset("node_ids", data=trains.node_ids.astype(np.int64))
                timestamps = group.create_dataset("timestamps", data=_strip(trains.timestamps, "s"))
                timestamps.attrs["unit"] = "s"
                for bound in ("t_start", "t_stop"):
                    value = getattr(trains, bound)
                    if value is not None:
                        group.attrs[f"{bound}_s"] = float(_strip(value, "s"))
            states = h5.create_group("states")
            for population, variables in record.states.items():
                population_group = states.create_group(population)
                for variable, trace in variables.items():
                    group = population_group.create_group(variable)
                    _write_array(group, "times", trace.times)
                    _write_array(group, "values", trace.values)
                    group.create_dataset("node_ids", data=np.asarray(trace.node_ids, dtype=np.int64))
            weights = h5.create_group("weights")
            for synapses, triples in record.weights.items():
                group = weights.create_group(synapses)
                group.create_dataset("pre", data=np.asarray(triples.pre, dtype=np.int64))
                group.create_dataset("post", data=np.asarray(triples.post, dtype=np.int64))
                _write_array(group, "weights", triples.weights)
            arrays = h5.create_group("arrays")
            for name, value in record.arrays.items():
                _write_array(arrays, name, value)
            h5.attrs["complete"] = True
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def run_folder_name(git_revision: str | None = None, now: datetime | None = None) -> str:
    """``<UTC stamp>-<short git sha>``, e.g. ``20261126T201500-3052f39``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{(git_revision or 'nogit')[:7]}"


def new_run_folder(kind: str, name: str, out_root: str | Path, git_revision: str | None = None) -> Path:
    """Path of a new run folder ``out_root/<kind>/<name>/<stamp>-<sha>`` (not created; unique)."""
    parent = Path(out_root) / kind / name
    base = run_folder_name(git_revision)
    folder, counter = parent / base, 1
    while folder.exists() or partial_folder(folder).exists():
        folder, counter = parent / f"{base}-{counter}", counter + 1
    return folder


def partial_folder(final: str | Path) -> Path:
    """The hidden working folder in which ``final`` is assembled (``.<name>.partial`` beside it)."""
    final = Path(final)
    return final.parent / f".{final.name}.partial"


def write_run(
    record: RunRecord,
    out_root: str | Path,
    figures: Mapping[str, Any] | None = None,
    *,
    folder: str | Path | None = None,
) -> Path:
    """Write a complete run folder and return its path.

    Parameters
    ----------
    record : RunRecord
        What to write.
    out_root : str or Path
        Root of run folders; the run goes to ``out_root/<kind>/<name>/<stamp>-<sha>/``.
    figures : mapping of str to matplotlib Figure, optional
        Saved as ``<key>.png`` and closed.
    folder : str or Path, optional
        Write to this exact folder instead (it must not exist yet). If its working folder
        (:func:`partial_folder`) exists already — a runnable wrote checkpoints there — the files are added to
        it before it is renamed into place.
    """
    if folder is None:
        folder = new_run_folder(record.kind, record.name, out_root, record.provenance.get("git_revision"))
    final = Path(folder)
    if final.exists():
        raise FileExistsError(f"run folder {str(final)!r} already exists; choose another --out")
    partial = partial_folder(final)
    partial.mkdir(parents=True, exist_ok=True)
    try:
        write_run_h5(record, partial / "run.h5")
        (partial / "metrics.json").write_text(json.dumps(to_jsonable(record.metrics), indent=2) + "\n")
        manifest = {"kind": record.kind, "name": record.name, "format": FORMAT,
                    "format_version": FORMAT_VERSION, **to_jsonable(record.provenance)}
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (partial / "parameters.json").write_text(json.dumps(to_jsonable(record.parameters), indent=2) + "\n")
        save_figures(figures or {}, partial)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        for figure in (figures or {}).values():
            _close(figure)
        raise
    return final


FIGURE_DPI = 110


def save_figures(figures: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Save each matplotlib figure as ``<folder>/<key>.png`` (replacing a file of that name) and close it."""
    paths = []
    try:
        for name, figure in figures.items():
            path = Path(folder) / f"{name}.png"
            figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
            paths.append(path)
    finally:
        for figure in figures.values():
            _close(figure)
    return paths


def _close(figure: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(figure)


# --------------------------------------------------------------------------------------------- reading


def _h5_path(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / "run.h5"
    if not path.exists():
        raise FileNotFoundError(f"no run record at {str(path)!r}; expected a run folder or a run.h5 file")
    return path


def read_run_h5(path: str | Path) -> RunRecord:
    """Read ``run.h5`` (or a run folder) back into a :class:`RunRecord` with units restored."""
    path = _h5_path(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise IncompleteRunError(f"{str(path)!r} is not an HDF5 file ({error})") from None
    with h5:
        if h5.attrs.get("format") != FORMAT:
            raise IncompleteRunError(f"{str(path)!r} is not a bioneuro run record (no format={FORMAT!r})")
        if not h5.attrs.get("complete", False):
            raise IncompleteRunError(f"{str(path)!r} is an incomplete run record (writing was interrupted)")
        record = RunRecord(kind=str(h5.attrs["kind"]), name=str(h5.attrs["name"]))
        record.parameters = _read_attrs(h5["parameters"])
        record.metrics = _read_attrs(h5["metrics"])
        record.provenance = _read_attrs(h5["provenance"])
        for population, group in h5["spikes"].items():
            record.spikes[population] = SpikeTrains(
                node_ids=group["node_ids"][()],
                timestamps=_read_array(group["timestamps"]),
                n_neurons=int(group.attrs["n_neurons"]),
                t_start=group.attrs["t_start_s"] * second if "t_start_s" in group.attrs else None,
                t_stop=group.attrs["t_stop_s"] * second if "t_stop_s" in group.attrs else None,
            )
        for population, population_group in h5["states"].items():
            record.states[population] = {
                variable: StateTrace(
                    times=_read_array(group["times"]),
                    values=_read_array(group["values"]),
                    node_ids=group["node_ids"][()],
                )
                for variable, group in population_group.items()
            }
        for synapses, group in h5["weights"].items():
            record.weights[synapses] = SynapseWeights(
                pre=group["pre"][()], post=group["post"][()], weights=_read_array(group["weights"])
            )
        for name, dataset in h5["arrays"].items():
            record.arrays[name] = _read_array(dataset)
    return record


read_run = read_run_h5
