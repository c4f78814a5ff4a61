"""NWB round trip (oracle: bit-identical spikes), Neo export, plain raster import and bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from bioneuro.analysis import make_raster
from bioneuro.io.interchange import read_nwb, to_neo, write_nwb
from bioneuro.io.raster_files import load_rasters, save_raster_npz


@pytest.fixture
def rasters():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 40, 3000)
    times = rng.uniform(0.0, 2.0, ids.size)  # arbitrary float64, not round numbers
    exc = make_raster(ids, times, n_neurons=50, t_start_s=0.0, t_stop_s=2.0)  # 10+ silent neurons
    inh = make_raster([0, 3, 3], [0.25, 1.0 / 3.0, 1.5], n_neurons=5, t_start_s=0.0, t_stop_s=2.0)
    return {"exc": exc, "inh": inh}


def assert_same(a, b):
    assert a.n_neurons == b.n_neurons
    assert (a.t_start_s, a.t_stop_s) == (b.t_start_s, b.t_stop_s)
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    assert np.array_equal(a.times_s.view(np.int64), b.times_s.view(np.int64))  # bit for bit


def test_nwb_round_trip_preserves_every_spike(tmp_path, rasters):
    path = write_nwb(tmp_path / "spikes.nwb", rasters)
    back = read_nwb(path)
    assert list(back) == ["exc", "inh"]
    for name in rasters:
        assert_same(rasters[name], back[name])
    only = read_nwb(path, population="inh")
    assert list(only) == ["inh"]


def test_nwb_is_readable_by_pynwb_as_units(tmp_path, rasters):
    from pynwb import NWBHDF5IO, validate

    path = write_nwb(tmp_path / "spikes.nwb", rasters)
    assert list(validate(path=str(path))) == []  # the NWB schema validator finds no error
    with NWBHDF5IO(str(path), "r") as io:
        units = io.read().units
        assert len(units) == 55
        row = units[50:51]  # first inh unit: a pandas frame
        np.testing.assert_array_equal(row["spike_times"].iloc[0], [0.25])
        assert row["population"].iloc[0] == "inh"


def test_nwb_missing_population_lists_available(tmp_path, rasters):
    path = write_nwb(tmp_path / "spikes.nwb", rasters)
    with pytest.raises(ValueError, match=r"'nope' not in .*available: \['exc', 'inh'\]"):
        read_nwb(path, population="nope")


def test_to_neo_matches_raster(rasters):
    trains = to_neo(rasters["exc"], population="exc")
    assert len(trains) == 50
    for k in (0, 7, 45):
        np.testing.assert_array_equal(trains[k].rescale("s").magnitude, rasters["exc"].train(k))
        assert trains[k].annotations == {"node_id": k, "population": "exc"}
        assert float(trains[k].t_stop.rescale("s")) == 2.0


def test_load_npz_csv_and_plain_hdf5(tmp_path, rasters):
    exc = rasters["exc"]
    save_raster_npz(tmp_path / "r.npz", exc)
    assert_same(load_rasters(tmp_path / "r.npz")["r"], exc)

    csv_path = tmp_path / "r.csv"
    rows = ["node_id,time_s,population"] + [f"{i},{float(t)!r},exc" for i, t in zip(exc.node_ids, exc.times_s, strict=True)]
    csv_path.write_text("\n".join(rows) + "\n")
    from_csv = load_rasters(csv_path)["exc"]
    np.testing.assert_array_equal(from_csv.times_s, exc.times_s)  # repr round-trips floats exactly

    with h5py.File(tmp_path / "plain.h5", "w") as f:
        g = f.create_group("exc")
        g.create_dataset("node_ids", data=exc.node_ids)
        d = g.create_dataset("timestamps", data=exc.times_s * 1e3)
        d.attrs["unit"] = "ms"
        g.attrs["n_neurons"] = 50
        g.attrs["t_stop_s"] = 2.0
    got = load_rasters(tmp_path / "plain.h5", population="exc")["exc"]
    np.testing.assert_allclose(got.times_s, exc.times_s, rtol=1e-15)
    assert got.n_neurons == 50 and got.t_stop_s == 2.0


def test_load_bioneuro_run_folder_layout(tmp_path, rasters):
    # the run.h5 layout of COMMON.md, written directly (independent of bioneuro.io.record)
    run = tmp_path / "run"
    run.mkdir()
    with h5py.File(run / "run.h5", "w") as f:
        f.attrs.update({"format": "bioneuro-run", "format_version": 1, "kind": "model", "name": "x"})
        for name, r in rasters.items():
            g = f.create_group(f"spikes/{name}")
            g.attrs["n_neurons"] = r.n_neurons
            g.create_dataset("node_ids", data=r.node_ids)
            g.create_dataset("timestamps", data=r.times_s).attrs["unit"] = "s"
    got = load_rasters(run)
    assert set(got) == {"exc", "inh"}
    np.testing.assert_array_equal(got["inh"].times_s, rasters["inh"].times_s)
    with pytest.raises(ValueError, match="available"):
        load_rasters(run, population="nope")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("x.txt", b"hello", "neither NWB nor HDF5"),
        ("x.npz", None, "lacks arrays"),
        ("x.csv", b"a,b\n1,2\n", "needs a header"),
        ("x.csv", b"node_id,time_s\n1,abc\n", "bad number"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, name, content, match):
    path = tmp_path / name
    if content is None:
        np.savez(path, spikes=np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_rasters(path)


def test_hdf5_without_raster_and_missing_path(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("x", data=[1, 2])
    with pytest.raises(ValueError, match="neither a bioneuro run, NWB, nor a raster"):
        load_rasters(tmp_path / "other.h5")
    with pytest.raises(ValueError, match="does not exist"):
        load_rasters(tmp_path / "missing.nwb")
    with pytest.raises(ValueError, match="without run.h5"):
        load_rasters(tmp_path)


def test_record_spike_trains_convert(rasters):
    record = pytest.importorskip("bioneuro.io.record")
    b2 = pytest.importorskip("brian2")
    st = record.SpikeTrains(node_ids=np.array([0, 1]), timestamps=np.array([5.0, 7.0]) * b2.ms, n_neurons=3)
    from bioneuro.analysis import Raster

    r = Raster.from_spike_trains(st, t_stop=1 * b2.second)
    np.testing.assert_allclose(r.times_s, [0.005, 0.007])
    assert r.n_neurons == 3


def test_read_foreign_nwb_written_with_plain_pynwb(tmp_path):
    import datetime

    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(session_description="other tool", identifier="x",
                  session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    trains = [[0.1, 0.25, 0.3], [], [0.2]]
    for t in trains:
        nwb.add_unit(spike_times=t)
    with NWBHDF5IO(str(tmp_path / "other.nwb"), "w") as io:
        io.write(nwb)
    (name, raster), = load_rasters(tmp_path / "other.nwb").items()
    assert name == "units" and raster.n_neurons == 3
    for k, t in enumerate(trains):
        np.testing.assert_array_equal(raster.train(k), t)
