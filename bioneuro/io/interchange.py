"""Interchange with the tools users already have: NWB (Units table) and Neo spike trains.

* :func:`write_nwb` / :func:`read_nwb`: one NWB Units row per neuron (silent ones included), with
  columns ``spike_times`` (s, float64, stored exactly), ``obs_intervals`` (the raster window),
  ``population`` (name) and ``node_id`` (index within the population). A round trip preserves every
  spike time bit for bit.
* :func:`to_neo`: a list of ``neo.SpikeTrain`` (seconds), one per neuron, annotated with
  ``population`` and ``node_id``, ready for Elephant.

pynwb and neo are imported lazily, so ``bioneuro.io`` stays light.

References
----------
Rübel O, Tritt A, Ly R, et al. (2022). The Neurodata Without Borders ecosystem for neurophysiological
data science. eLife 11:e78362.
Garcia S, Guarino D, Jaillet F, et al. (2014). Neo: an object model for handling electrophysiology
data in multiple formats. Front Neuroinform 8:10.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from bioneuro.analysis.raster import Raster, make_raster

__all__ = ["write_nwb", "read_nwb", "to_neo", "is_nwb_file"]


def _as_raster_dict(rasters) -> dict[str, Raster]:
    if isinstance(rasters, Raster):
        return {"population": rasters}
    if not isinstance(rasters, Mapping) or not rasters:
        raise TypeError(f"expected a Raster or a non-empty dict name -> Raster, got {type(rasters).__name__}")
    out = {}
    for name, r in rasters.items():
        if not isinstance(r, Raster):
            if hasattr(r, "node_ids") and hasattr(r, "timestamps"):
                r = Raster.from_spike_trains(r)
            else:
                raise TypeError(f"population {name!r}: expected a Raster, got {type(r).__name__}")
        out[str(name)] = r
    return out


def write_nwb(
    path,
    rasters,
    *,
    session_description: str = "bioneuro spike raster",
    identifier: str | None = None,
    session_start_time: datetime.datetime | None = None,
) -> Path:
    """Write rasters to an NWB file as a Units table.

    Parameters
    ----------
    path : str or Path
        Output ``.nwb`` file (overwritten).
    rasters : Raster or dict of str to Raster
        Populations to write; a single Raster is named ``"population"``.
    session_description, identifier : str
        NWB metadata; the identifier defaults to a random UUID.
    session_start_time : datetime, optional
        Timezone-aware start time; default now (UTC).

    Returns
    -------
    Path
    """
    from hdmf.common import VectorData, VectorIndex
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.misc import Units

    rasters = _as_raster_dict(rasters)
    start = session_start_time or datetime.datetime.now(datetime.UTC)
    nwb = NWBFile(
        session_description=session_description,
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=start,
    )
    times = np.concatenate([r.times_s for r in rasters.values()])
    counts = np.concatenate([r.spike_counts() for r in rasters.values()])
    n_units = int(counts.size)
    windows = np.concatenate(
        [np.tile([r.t_start_s, r.t_stop_s], (r.n_neurons, 1)) for r in rasters.values()]
    ).reshape(n_units, 2)
    populations = np.concatenate([np.full(r.n_neurons, name, dtype=object) for name, r in rasters.items()])
    node_ids = np.concatenate([np.arange(r.n_neurons, dtype=np.int64) for r in rasters.values()])
    spike_times = VectorData(name="spike_times", description="spike times in seconds", data=times)
    spike_index = VectorIndex(name="spike_times_index", data=np.cumsum(counts), target=spike_times)
    obs = VectorData(name="obs_intervals", description="observation window [t_start, t_stop) in seconds", data=windows)
    obs_index = VectorIndex(name="obs_intervals_index", data=np.arange(1, n_units + 1), target=obs)
    pop = VectorData(name="population", description="bioneuro population name", data=populations.astype(str))
    node = VectorData(name="node_id", description="neuron index within its population", data=node_ids)
    nwb.units = Units(
        name="units",
        id=np.arange(n_units),
        columns=[spike_times, spike_index, obs, obs_index, pop, node],
        description="spike trains written by bioneuro",
    )
    path = Path(path)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def is_nwb_file(path) -> bool:
    """True if ``path`` is an HDF5 file with an ``nwb_version`` root attribute."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "nwb_version" in f.attrs
    except OSError:
        return False


def read_nwb(path, population: str | None = None) -> dict[str, Raster]:
    """Read the Units table of an NWB file into rasters, one per population.

    Units without a ``population`` column form one population ``"units"``; without ``node_id`` the
    row order numbers the neurons. The window comes from ``obs_intervals`` when present, else from
    0 (or the first spike if earlier) to just after the last spike.

    Parameters
    ----------
    path : str or Path
    population : str, optional
        Read only this population.

    Returns
    -------
    dict of str to Raster

    Raises
    ------
    ValueError
        Not an NWB file, no Units table, or the population is absent (the message lists those present).
    """
    from pynwb import NWBHDF5IO

    path = Path(path)
    if not path.is_file() or not is_nwb_file(path):
        raise ValueError(f"{str(path)!r} is not an NWB (HDF5) file")
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units
        if units is None or "spike_times" not in units.colnames:
            raise ValueError(f"{str(path)!r} has no Units table with spike_times")
        flat = np.asarray(units["spike_times"].target.data[:], dtype=np.float64)
        ends = np.asarray(units["spike_times"].data[:], dtype=np.int64)
        n_units = ends.size
        pops = (
            np.asarray([_as_str(p) for p in units["population"].data[:]])
            if "population" in units.colnames
            else np.full(n_units, "units")
        )
        node = (
            np.asarray(units["node_id"].data[:], dtype=np.int64)
            if "node_id" in units.colnames
            else None
        )
        windows = None
        if "obs_intervals" in units.colnames:
            obs_flat = np.asarray(units["obs_intervals"].target.data[:], dtype=np.float64)
            obs_ends = np.asarray(units["obs_intervals"].data[:], dtype=np.int64)
            obs_starts = np.concatenate(([0], obs_ends[:-1]))
            windows = np.array(
                [
                    [obs_flat[s:e, 0].min(), obs_flat[s:e, 1].max()] if e > s else [np.nan, np.nan]
                    for s, e in zip(obs_starts, obs_ends, strict=True)
                ]
            ).reshape(n_units, 2)
    counts = np.diff(np.concatenate(([0], ends)))
    unit_of_spike = np.repeat(np.arange(n_units), counts)
    names = list(dict.fromkeys(pops.tolist()))
    if population is not None:
        if population not in names:
            raise ValueError(f"population {population!r} not in {str(path)!r}; available: {names}")
        names = [population]
    out = {}
    for name in names:
        rows = np.flatnonzero(pops == name)
        ids = node[rows] if node is not None else np.arange(rows.size)
        row_to_id = np.full(n_units, -1, dtype=np.int64)
        row_to_id[rows] = ids
        mask = np.isin(unit_of_spike, rows)
        kwargs = {}
        if windows is not None and np.all(np.isfinite(windows[rows])):
            kwargs = {"t_start_s": float(windows[rows, 0].min()), "t_stop_s": float(windows[rows, 1].max())}
        out[name] = make_raster(
            row_to_id[unit_of_spike[mask]],
            flat[mask],
            n_neurons=int(ids.max()) + 1 if ids.size else 0,
            **kwargs,
        )
    return out


def _as_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def to_neo(raster: Raster, *, population: str | None = None) -> list:
    """Convert a raster to ``neo.SpikeTrain`` objects (seconds), one per neuron, silent ones included.

    Parameters
    ----------
    raster : Raster
    population : str, optional
        Stored in each train's ``annotations["population"]``.

    Returns
    -------
    list of neo.SpikeTrain
        ``t_start``/``t_stop`` are the raster window; ``annotations["node_id"]`` the neuron index.
    """
    import neo

    if not isinstance(raster, Raster):
        raise TypeError(f"to_neo expects a Raster, got {type(raster).__name__}")
    trains = []
    for k, times in enumerate(raster.trains()):
        st = neo.SpikeTrain(
            times.copy(), units="s", t_start=raster.t_start_s, t_stop=raster.t_stop_s
        )
        st.annotate(node_id=k)
        if population is not None:
            st.annotate(population=population)
        trains.append(st)
    return trains
