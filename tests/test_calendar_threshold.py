"""The calendar threshold of bioneuro's device (:func:`bioneuro.devices.use_calendar_threshold`).

Oracle: second formulation. Two groups with the same equations and the same counter-based random draws,
one with the calendar and one with the threshold that compares every neuron in every step, give identical
spikes over presentations, rests, rates from 0 to "every step", two runs with the firing steps changed
in between (the neurons then due fire in the first step of the second run), and a presentation that never
ends with the ring of buckets limited to 64 steps (neurons due beyond it are filed by later rebuilds). Its own module: it needs a
standalone project with two runs, which cannot be open beside ``test_devices``' shared build.
"""

from __future__ import annotations

import gc

import brian2 as b2
import numpy as np
import pytest
from bioneuro.models.diehl_cook.network import dc_gap
from brian2 import ms
from brian2.utils.logger import catch_logs

from bioneuro.devices import DEVICE_NAME, use_calendar_threshold
from bioneuro.runner import StandaloneProject, runtime_device, structure_key

DT1 = 0.1 * ms
DURATION = 125 * ms

# Inputs that decide their next firing step in advance (as the Diehl & Cook inputs do): slots of 50 steps,
# presentations of the first 35 (last_step), a rate per neuron and slot from 0 to 10 kHz (p = rate*dt up to
# 1: a neuron then fires in every step), gaps drawn by dc_gap from (key, neuron, step), so two groups draw
# the same spike trains. Group "cal" uses the calendar, group "plain" the threshold that compares every
# neuron in every step. N7 = 200 is not a multiple of 64.
N7 = 200
SLOT7 = 5 * ms
FIRST_RUN7 = 623  # steps of the first of two runs
CAL_EQS = """
rate : Hz
r : Hz (constant)
next_step : integer
last_step : integer (shared)
k : integer (shared)
"""
CAL_THRESHOLD = "next_step <= clip(timestep(t, dt), -1, last_step)"
CAL_RESET = "next_step = timestep(t, dt) + 1 + dc_gap(7, i, timestep(t, dt), rate*dt)"
CAL_SLOT = """
last_step = timestep(t, step_dt) + 34
k = k + 1
rate = r*((k + i) % 4)
next_step = timestep(t, step_dt) + dc_gap(11, i + 1000, timestep(t, step_dt), rate*step_dt)
"""


def _input_group(name: str) -> b2.NeuronGroup:
    return b2.NeuronGroup(N7, CAL_EQS, threshold=CAL_THRESHOLD, reset=CAL_RESET, dt=DT1,
                          namespace={"dc_gap": dc_gap, "step_dt": DT1}, name=f"n7_{name}")


def _build_calendar_pairs() -> dict:
    """Groups "cal", "plain" (slots) and "cal_long", "plain_long" (one endless presentation), each with a
    spike monitor ``<name>_spikes``."""
    handles = {}
    for name in ("cal", "plain"):
        group = _input_group(name)
        group.r = np.geomspace(1.0, 10000.0 / 3, N7) * b2.Hz  # x 0..3 per slot: up to p = 1 at dt 0.1 ms
        group.next_step = 1 << 30
        group.last_step = -1
        group.run_regularly(CAL_SLOT, dt=SLOT7, when="start", name=f"n7_{name}_slot")
        handles[name] = group
    # "long": a presentation that never ends (last_step far ahead) and a constant rate per neuron (0 for every
    # third neuron); the calendar's ring is limited to 64 steps, so it is rebuilt every 63 steps and neurons due
    # beyond its horizon must be filed by those rebuilds
    for name in ("cal_long", "plain_long"):
        group = _input_group(name)
        group.rate = np.geomspace(1.0, 3000.0, N7) * (np.arange(N7) % 3) * b2.Hz
        group.next_step = np.arange(N7) * 7 % 300
        group.last_step = 1 << 30
        handles[name] = group
    for name in list(handles):
        handles[f"{name}_spikes"] = b2.SpikeMonitor(handles[name], name=f"n7_{name}_spikes")
    return handles


def _spikes(monitor: b2.SpikeMonitor) -> tuple[np.ndarray, np.ndarray]:
    """(neuron indices, time steps) of a monitor's spikes."""
    return np.asarray(monitor.i[:]).copy(), np.round(np.asarray(monitor.t_[:]) / float(DT1)).astype(np.int64)


def test_calendar_threshold_contract_checks():
    with runtime_device(), catch_logs():  # the groups are never run: no "unused object" warnings
        group = b2.NeuronGroup(3, CAL_EQS, threshold=CAL_THRESHOLD, reset=CAL_RESET,
                               namespace={"dc_gap": dc_gap, "step_dt": DT1})
        assert use_calendar_threshold(group) is False  # not this device: Brian2's threshold stays
        assert group.thresholder["spike"].template == "threshold"
        missing = b2.NeuronGroup(3, "next_step : integer", threshold="next_step <= 0")
        with pytest.raises(ValueError, match="last_step"):
            use_calendar_threshold(missing)
        refractory = b2.NeuronGroup(3, CAL_EQS, threshold=CAL_THRESHOLD, refractory=1 * ms)
        with pytest.raises(ValueError, match="refractory"):
            use_calendar_threshold(refractory)
        no_threshold = b2.NeuronGroup(3, CAL_EQS)
        with pytest.raises(ValueError, match="no spike threshold"):
            use_calendar_threshold(no_threshold)
        with pytest.raises(ValueError, match="power of two"):
            use_calendar_threshold(group, max_span=100)
        del group, missing, refractory, no_threshold
        gc.collect()


@pytest.mark.standalone
def test_calendar_threshold_gives_the_events_of_the_plain_threshold(tmp_path):
    # between the two runs, the firing steps change: some are already due (they fire in the first step of
    # run 2), some fall in the rest of the presentation, some after it
    changed = np.random.default_rng(3).integers(FIRST_RUN7 - 10, FIRST_RUN7 + 40, N7)
    with StandaloneProject(structure_key("test-devices-calendar", {"n": N7}), tmp_path,
                           device=DEVICE_NAME) as project:
        b2.defaultclock.dt = DT1
        h = _build_calendar_pairs()
        assert use_calendar_threshold(h["cal"]) is True
        assert use_calendar_threshold(h["cal_long"], max_span=64) is True
        network = b2.Network(*h.values())
        network.run(FIRST_RUN7 * DT1)  # ends inside a presentation (steps 600-634)
        for name in ("cal", "plain", "cal_long", "plain_long"):
            h[name].next_step = changed
        network.run(DURATION)
        project.build()
        project.run()
        spikes = {name: _spikes(h[f"{name}_spikes"]) for name in ("cal", "plain", "cal_long", "plain_long")}
    plain_i, steps = spikes["plain"]
    # the draws cover the cases: silent neurons, neurons firing in consecutive steps, spikes in both runs
    # and no spike in a rest (steps 35-49 of each 50-step slot)
    assert len(plain_i) > 5000
    assert np.any(np.diff(steps[plain_i == N7 - 1]) == 1)
    assert np.all(steps % 50 < 35)
    first = plain_i[steps == FIRST_RUN7]
    np.testing.assert_array_equal(first, np.flatnonzero(changed <= FIRST_RUN7))  # due: fired at once
    assert np.any((steps > FIRST_RUN7) & (steps < 635))
    # the long presentation: spikes all along both runs (far beyond a 64-step ring)
    long_i, long_steps = spikes["plain_long"]
    assert len(long_i) > 5000 and long_steps.max() > FIRST_RUN7 + 1000
    # a neuron of rate 0 fires once, at its initial step, in the first run
    silent = long_i[long_steps < FIRST_RUN7]
    np.testing.assert_array_equal(np.sort(silent[silent % 3 == 0]), np.arange(0, N7, 3))
    for cal, plain in (("cal", "plain"), ("cal_long", "plain_long")):
        np.testing.assert_array_equal(spikes[cal][0], spikes[plain][0], err_msg=cal)
        np.testing.assert_array_equal(spikes[cal][1], spikes[plain][1], err_msg=cal)
