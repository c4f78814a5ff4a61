"""Tsodyks-Markram short-term plasticity against the analytic recursion of Maass,
Natschläger & Markram 2002 (Appendix B): A_n = w u_n R_n, u_1 = U, R_1 = 1,
u_{n+1} = U + u_n (1 - U) exp(-Delta/F), R_{n+1} = 1 + (R_n - u_n R_n - 1) exp(-Delta/D).
"""

from __future__ import annotations

import dataclasses

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms

from bioneuro.synapses import DEPRESSING, FACILITATING, MAASS_2002_II, make_synapses

DT = 0.1 * ms
N_SPIKES = 12
INTERVALS_MS = {
    "regular 20 Hz": [50.0] * (N_SPIKES - 1),
    "irregular": [10.0, 30.0, 5.0, 80.0, 20.0, 20.0, 3.0, 150.0, 40.0, 7.0, 60.0],
}


def recursion(rule, intervals_ms, weight=1.0):
    """Amplitudes of the Maass et al. 2002 recursion (pure Python oracle)."""
    U, D, F = rule.U, float(rule.tau_rec / ms), float(rule.tau_facil / ms)
    u, R, amplitudes = U, 1.0, []
    for delta in [*intervals_ms, None]:
        amplitudes.append(weight * u * R)
        if delta is None:
            break
        u, R = U + u * (1 - U) * np.exp(-delta / F), 1 + (R - u * R - 1) * np.exp(-delta / D)
    return np.array(amplitudes)


def test_recursion_oracle_first_steps():
    # Two steps written out for the facilitating preset (U 0.05, D 125 ms, F 1200 ms), 50 ms apart.
    u2 = 0.05 + 0.05 * 0.95 * np.exp(-50 / 1200)
    r2 = 1 + (1 - 0.05 - 1) * np.exp(-50 / 125)
    np.testing.assert_allclose(recursion(FACILITATING, [50.0])[1], u2 * r2, rtol=1e-14)
    # Facilitating: the second amplitude grows; depressing: it shrinks.
    assert recursion(FACILITATING, [50.0])[1] > FACILITATING.U
    assert recursion(DEPRESSING, [50.0])[1] < DEPRESSING.U


@pytest.mark.parametrize("train", list(INTERVALS_MS))
def test_psc_amplitudes_follow_the_recursion(train):
    intervals = INTERVALS_MS[train]
    spike_times = 10.0 + np.concatenate([[0.0], np.cumsum(intervals)])
    rules = {
        "depressing": dataclasses.replace(DEPRESSING, weight_unit=1.0),
        "facilitating": dataclasses.replace(FACILITATING, weight_unit=1.0),
        "per-synapse II": dataclasses.replace(
            MAASS_2002_II, weight_unit=1.0, per_synapse_parameters=True
        ),
    }
    variants = [(name, formulation) for name in rules for formulation in
                ("event-driven", "clock-driven")]  # fmt: skip
    pre = b2.SpikeGeneratorGroup(
        1, np.zeros(N_SPIKES, int), spike_times * ms, dt=DT, name="stp_test_pre"
    )
    target = b2.NeuronGroup(len(variants), "acc : 1", dt=DT, name="stp_test_target")
    weight = 2.5
    synapses = [
        make_synapses(
            pre, target, rules[name], target_expression="acc_post += w", connect={"j": str(k)},
            weights=weight, formulation=formulation, dt=DT,
            name=f"stp_{name}_{formulation}".replace("-", "_").replace(" ", "_"),
        )  # fmt: skip
        for k, (name, formulation) in enumerate(variants)
    ]
    monitor = b2.StateMonitor(
        target, "acc", record=True, when="end", dt=DT, name="stp_test_monitor"
    )
    b2.Network(pre, target, *synapses, monitor).run(spike_times[-1] * ms + 2 * ms)
    steps = np.round(spike_times / float(DT / ms)).astype(int)
    acc = np.asarray(monitor.acc)
    for k, (name, formulation) in enumerate(variants):
        amplitudes = acc[k, steps] - acc[k, steps - 1]
        expected = recursion(rules[name], intervals, weight)
        np.testing.assert_allclose(amplitudes, expected, rtol=1e-6, err_msg=f"{name} {formulation}")
