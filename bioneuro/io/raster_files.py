"""Import spike rasters from plain files, bioneuro run folders and NWB, behind one dispatcher.

:func:`load_rasters` accepts

* a bioneuro run folder (containing ``run.h5``) or a ``run.h5`` file (root attribute
  ``format="bioneuro-run"``): every ``/spikes/<population>`` group;
* an NWB file (HDF5 with a root ``nwb_version`` attribute): its Units table
  (:func:`bioneuro.io.interchange.read_nwb`);
* a plain HDF5 file with datasets ``node_ids`` and ``times_s`` (or ``timestamps`` with a ``unit``
  attribute of ``"s"`` or ``"ms"``), at the root (population = file stem) or in one group per
  population;
* a ``.npz`` archive with arrays ``node_ids`` and ``times_s`` and optional scalars ``n_neurons``,
  ``t_start_s``, ``t_stop_s``;
* a ``.csv`` file with a header naming the columns ``node_id`` and ``time_s`` and optionally
  ``population``.

Windows: ``t_start_s`` / ``t_stop_s`` attributes (HDF5 groups) or entries (npz) are used when
present; otherwise the window runs from 0 to just after the last spike (pass an explicit window to
the analysis for unbiased rates). Anything else raises ``ValueError`` naming the file and what was
expected; an absent population raises ``ValueError`` listing the populations present.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from bioneuro.analysis.raster import Raster, make_raster
from bioneuro.io.interchange import is_nwb_file, read_nwb

__all__ = ["load_rasters", "save_raster_npz"]

_TIME_SCALE = {"s": 1.0, "second": 1.0, "ms": 1e-3, "msecond": 1e-3}


def _pick(available: dict[str, Raster], population: str | None, source) -> dict[str, Raster]:
    if population is None:
        return available
    if population not in available:
        raise ValueError(f"population {population!r} not in {str(source)!r}; available: {sorted(available)}")
    return {population: available[population]}


def _float_attr(attrs, *names):
    for name in names:
        if name in attrs:
            value = attrs[name]
            if isinstance(value, bytes | str):
                from bioneuro.analysis._units import as_seconds

                return as_seconds(_parse_time_text(value), name)
            return float(value)
    return None


def _parse_time_text(text) -> float:
    text = text.decode() if isinstance(text, bytes) else str(text)
    parts = text.split()
    if len(parts) == 2 and parts[1] in _TIME_SCALE:
        return float(parts[0]) * _TIME_SCALE[parts[1]]
    return float(text)


def _read_h5_group(group, name: str, source, default_stop=None) -> Raster:
    if "node_ids" not in group:
        raise ValueError(f"{str(source)!r}: group {group.name!r} has no 'node_ids' dataset")
    ids = group["node_ids"][()]
    if "times_s" in group:
        times = np.asarray(group["times_s"][()], dtype=np.float64)
    elif "timestamps" in group:
        ds = group["timestamps"]
        unit = ds.attrs.get("unit", "s")
        unit = unit.decode() if isinstance(unit, bytes) else str(unit)
        if unit not in _TIME_SCALE:
            raise ValueError(f"{str(source)!r}: {ds.name} has unit {unit!r}; expected 's' or 'ms'")
        times = np.asarray(ds[()], dtype=np.float64) * _TIME_SCALE[unit]
    else:
        raise ValueError(f"{str(source)!r}: group {group.name!r} has no 'times_s' or 'timestamps' dataset")
    n = group.attrs.get("n_neurons")
    return make_raster(
        ids,
        times,
        n_neurons=int(n) if n is not None else None,
        t_start_s=_float_attr(group.attrs, "t_start_s", "t_start"),
        t_stop_s=_float_attr(group.attrs, "t_stop_s", "t_stop") or default_stop,
    )


def _read_hdf5(path: Path) -> dict[str, Raster]:
    import h5py

    with h5py.File(path, "r") as f:
        if f.attrs.get("format") in ("bioneuro-run", b"bioneuro-run"):
            if "spikes" not in f or not len(f["spikes"]):
                raise ValueError(f"{str(path)!r} is a bioneuro run without spikes")
            return _read_groups(dict(f["spikes"].items()), path)
        if "node_ids" in f:
            return {path.stem: _read_h5_group(f, path.stem, path)}
        groups = {n: g for n, g in f.items() if isinstance(g, h5py.Group) and "node_ids" in g}
        if not groups:
            raise ValueError(
                f"{str(path)!r} is HDF5 but neither a bioneuro run, NWB, nor a raster "
                "(datasets 'node_ids' + 'times_s' at the root or in groups)"
            )
        return _read_groups(groups, path)


def _read_groups(groups: dict, path: Path) -> dict[str, Raster]:
    """Read several populations; those without a stored window share the latest spike as end."""
    last = []
    for g in groups.values():
        ds = g["times_s"] if "times_s" in g else g.get("timestamps")
        if ds is not None and ds.shape[0]:
            scale = _TIME_SCALE.get(_as_text(ds.attrs.get("unit", "s")), 1.0)
            last.append(float(np.max(ds[()])) * scale)
    default_stop = float(np.nextafter(max(last), np.inf)) if last else None
    return {name: _read_h5_group(g, name, path, default_stop) for name, g in groups.items()}


def _as_text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _read_npz(path: Path) -> dict[str, Raster]:
    with np.load(path, allow_pickle=False) as z:
        missing = {"node_ids", "times_s"} - set(z.files)
        if missing:
            raise ValueError(f"{str(path)!r} lacks arrays {sorted(missing)}; has {sorted(z.files)}")

        def scalar(key, cast):
            return cast(z[key]) if key in z.files else None

        raster = make_raster(
            z["node_ids"],
            z["times_s"],
            n_neurons=scalar("n_neurons", int),
            t_start_s=scalar("t_start_s", float),
            t_stop_s=scalar("t_stop_s", float),
        )
    return {path.stem: raster}


def _read_csv(path: Path) -> dict[str, Raster]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        if "node_id" not in fields or "time_s" not in fields:
            raise ValueError(f"{str(path)!r} needs a header with columns 'node_id' and 'time_s', got {fields}")
        rows = list(reader)
    try:
        ids = np.array([int(r["node_id"]) for r in rows], dtype=np.int64)
        times = np.array([float(r["time_s"]) for r in rows], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{str(path)!r}: bad number in node_id/time_s columns ({err})") from err
    if "population" not in fields:
        return {path.stem: make_raster(ids, times)}
    pops = np.array([r["population"] for r in rows])
    return {p: make_raster(ids[pops == p], times[pops == p]) for p in dict.fromkeys(pops.tolist())}


def load_rasters(path, population: str | None = None) -> dict[str, Raster]:
    """Load spike rasters from a run folder, NWB, HDF5, ``.npz`` or ``.csv`` file.

    Parameters
    ----------
    path : str or Path
    population : str, optional
        Return only this population.

    Returns
    -------
    dict of str to Raster
        Population name to raster (for single-raster files the name is the file stem).

    Raises
    ------
    ValueError
        Missing path, unsupported or malformed file, or absent population.
    """
    path = Path(path)
    if path.is_dir():
        run = path / "run.h5"
        if not run.is_file():
            raise ValueError(f"{str(path)!r} is a folder without run.h5 (not a bioneuro run folder)")
        path = run
    if not path.is_file():
        raise ValueError(f"{str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _pick(_read_npz(path), population, path)
    if suffix == ".csv":
        return _pick(_read_csv(path), population, path)
    import h5py

    if not h5py.is_hdf5(path):
        raise ValueError(
            f"{str(path)!r} is neither NWB nor HDF5, nor a .npz or .csv raster; "
            "expected a run folder, .nwb, .h5, .npz or .csv"
        )
    if is_nwb_file(path):
        return read_nwb(path, population)
    return _pick(_read_hdf5(path), population, path)


def save_raster_npz(path, raster: Raster) -> Path:
    """Write a raster to ``.npz`` in the layout :func:`load_rasters` reads."""
    path = Path(path)
    np.savez(
        path,
        node_ids=raster.node_ids,
        times_s=raster.times_s,
        n_neurons=raster.n_neurons,
        t_start_s=raster.t_start_s,
        t_stop_s=raster.t_stop_s,
    )
    return path
