"""``bioneuro.devices.fast_forward``: time steps skipped in closed form by the compiled network loop.

Network: 40 conductance-driven neurons in slots of ``S`` = 100 steps. At the first step of each slot a
second clock kicks every neuron's conductance ``g`` (a different amount per neuron and slot; the larger
kicks make neurons fire, refractoriness included), which then decays. From step ``FIRST`` = 20 of a slot on,
the controller asks for the rest of the slot to be skipped; the loop skips once every ``|g| <= BOUND`` and no
neuron is refractory. The closed form: ``v`` relaxes to rest and ``g`` decays exactly over ``n`` steps, and a
step counter advances by ``n``.

Oracles (one build, run twice from ``run_args``: skipping allowed, and never):

* second formulation: the stepped run gives the same spikes (neurons and steps) and the same state, within
  the analytic bound on what the closed form neglects (the conductance of at most ``BOUND`` while it decays:
  ``|dv| <= BOUND*|E - v|*(dt/tau)/(1 - exp(-dt/tau_g))`` per slot, < 1e-9 here) and ~1e-15 rounding for ``g``;
* exact integers: the step counter equals the number of steps in both runs (the run ends ``END_EARLY`` steps
  into the last slot's rest, so its skip is cut short: the closed form must apply the steps skipped, not the
  steps asked for); the steps actually executed in the skipping run are the total minus, per slot,
  ``S - j*`` (in the last slot ``S - END_EARLY - j*``), with ``j*`` the first step (>= ``FIRST``) at
  which every kicked conductance, decaying by ``exp(-dt/tau_g)`` per step, is within ``BOUND`` (the kicks are
  chosen with a relative margin of > 1e-6 from the bound at every step, so rounding cannot move ``j*``).
"""

from __future__ import annotations

import gc

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms

from bioneuro.devices import DEVICE_NAME, fast_forward
from bioneuro.runner import StandaloneProject, runtime_device, structure_key

N = 40
S = 100  # steps per slot
FIRST = 20  # first step of a slot at which skipping is asked for
N_SLOTS = 7
END_EARLY = 10  # the run ends this many steps before the last slot would: its skip is cut short
RUN_STEPS = N_SLOTS * S - END_EARLY
DT = 0.5 * ms
TAU = 10 * ms
TAU_G = 1 * ms
E_REV = 5.0
BOUND = 1e-9
# per neuron and slot; each slot has its own scale, so that the conductances become quiet at different steps
_RNG = np.random.default_rng(5)
KICKS = _RNG.uniform(0.05, 5.0, (N_SLOTS, N)) * 10.0 ** _RNG.uniform(-2, 2, (N_SLOTS, 1))

CTRL_EQS = """
step : integer
ff_first : integer
ff_steps : integer
executed : integer
total : integer
slot : integer
skipped : integer
"""
CTRL_STEP = """
step = step + 1
executed = executed + 1
total = total + 1
ff_steps = int(step >= ff_first)*int(step < S)*(S - step)
step = step*int(step < S)
"""
CTRL_CLOSED_FORM = """
total = total + ff_steps
step = (step + ff_steps)*int(step + ff_steps < S)
"""
NEURON_EQS = """
dv/dt = (-v + g*(E_rev - v)) / tau : 1 (unless refractory)
dg/dt = -g/tau_g : 1
slot_idx : integer (linked)
n_ff : integer (linked)
"""
NEURON_CLOSED_FORM = """
v = v*exp(-n_ff*dt/tau)
g = g*exp(-n_ff*dt/tau_g)
"""


def _namespace():
    return {"S": S, "E_rev": E_REV, "tau": TAU, "tau_g": TAU_G,
            "kicks": b2.TimedArray(KICKS, dt=1 * ms)}


def _build():
    ns = _namespace()
    slot_clock = b2.Clock(dt=S * DT, name="ff_slot_clock")
    ctrl = b2.NeuronGroup(1, CTRL_EQS, namespace=ns, name="ff_ctrl")
    ctrl.run_regularly(CTRL_STEP, when="end", order=0, name="ff_ctrl_step")
    ctrl.run_regularly("slot = slot + 1", clock=slot_clock, when="end", name="ff_ctrl_slot")
    group = b2.NeuronGroup(N, NEURON_EQS, threshold="v > 1", reset="v = 0", refractory=2 * ms,
                           method="exponential_euler", namespace=ns, name="ff_group")
    zeros = np.zeros(N, dtype=int)
    group.slot_idx = b2.linked_var(ctrl, "slot", index=zeros)
    group.n_ff = b2.linked_var(ctrl, "ff_steps", index=zeros)
    group.run_regularly("g += kicks(slot_idx*ms, i)", clock=slot_clock, when="start", name="ff_kick")
    spikes = b2.SpikeMonitor(group, name="ff_spikes")
    ops = fast_forward((ctrl, "ff_steps"), [(ctrl, CTRL_CLOSED_FORM), (group, NEURON_CLOSED_FORM)],
                       quiet=[(group, "g", BOUND), (group, "not_refractory", None)], counter=(ctrl, "skipped"))
    return {"ctrl": ctrl, "group": group, "spikes": spikes, "ops": ops}


def _expected_skips() -> np.ndarray:
    """Steps skipped in each slot, from the kicks' decay (the carried-over conductance is below 1e-9*kick)."""
    factor = np.exp(-float(DT / TAU_G))
    steps = np.arange(S + 1)
    decayed = KICKS[:, :, None] * factor ** steps[None, None, :]  # after the update of step j (j=0: kick)
    # the update of a slot's step j (0-based) leaves kick*factor**(j+1); the counter then reads j+1
    margin = np.abs(decayed / BOUND - 1).min()
    assert margin > 1e-6, margin  # no decision rests on rounding
    quiet = np.all(decayed <= BOUND, axis=1)  # (slot, j+1)
    skipped = []
    for slot in range(N_SLOTS):
        end = S if slot < N_SLOTS - 1 else S - END_EARLY  # the run's last step
        counter = next(c for c in range(FIRST, S) if quiet[slot, c])
        skipped.append(end - counter)
    return np.array(skipped)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    key = structure_key("test-fast-forward", {"n": N, "S": S, "slots": N_SLOTS})
    with StandaloneProject(key, tmp_path_factory.mktemp("ff"), device=DEVICE_NAME) as project:
        b2.defaultclock.dt = DT
        h = _build()
        assert len(h["ops"]) == 2
        network = b2.Network(h["ctrl"], h["group"], h["spikes"], *h["ops"])
        network.run(RUN_STEPS * DT)
        project.build()
        results = {}
        for name, first in (("skipping", FIRST), ("stepped", S)):
            project.run({h["ctrl"].ff_first: np.array([first])})
            results[name] = {
                "i": np.asarray(h["spikes"].i[:]).copy(),
                "step": np.round(np.asarray(h["spikes"].t_[:]) / float(DT)).astype(int),
                "v": np.asarray(h["group"].v_[:]).copy(),
                "g": np.asarray(h["group"].g_[:]).copy(),
                **{name: int(getattr(h["ctrl"], name + "_")[0]) for name in ("executed", "total", "slot", "skipped")},
            }
    return results


@pytest.mark.standalone
def test_skipped_steps_give_the_stepped_result(runs):
    skipping, stepped = runs["skipping"], runs["stepped"]
    # spikes in several slots, early in each (the skips come after them)
    assert len(stepped["i"]) > 50 and len(set(stepped["step"] // S)) >= 5
    np.testing.assert_array_equal(skipping["i"], stepped["i"])
    np.testing.assert_array_equal(skipping["step"], stepped["step"])
    bound = BOUND * (E_REV + 1) * float(DT / TAU) / (1 - np.exp(-float(DT / TAU_G)))
    assert bound < 1e-9
    assert np.max(np.abs(skipping["v"] - stepped["v"])) <= bound
    np.testing.assert_allclose(skipping["g"], stepped["g"], rtol=1e-12, atol=0)
    assert np.any(skipping["g"] > 0)


@pytest.mark.standalone
def test_skips_start_when_quiet_and_cover_the_rest_of_each_slot(runs):
    total = RUN_STEPS
    skipped = _expected_skips()
    assert np.all(skipped > 10) and len(set(skipped)) >= 4  # data-dependent starts, all after FIRST
    for name in ("skipping", "stepped"):
        assert runs[name]["total"] == total  # the closed form counts the skipped steps
        assert runs[name]["slot"] == N_SLOTS  # the slot clock ticked once per slot
    assert runs["stepped"]["executed"] == total and runs["stepped"]["skipped"] == 0
    assert runs["skipping"]["executed"] == total - skipped.sum()
    assert runs["skipping"]["skipped"] == skipped.sum()  # the loop's own count


def test_fast_forward_on_other_devices_creates_nothing_and_checks_its_arguments():
    with runtime_device():
        ctrl = b2.NeuronGroup(1, CTRL_EQS + "x : 1\nflag : boolean\nr : 1 (shared)\n", namespace=_namespace())
        big = b2.NeuronGroup(3, "k : integer\ny : 1", name="ff_big")
        assert fast_forward((ctrl, "ff_steps"), [(ctrl, "total = total + ff_steps")],
                            quiet=[(ctrl, "x", 1e-9), (ctrl, "flag", None)]) == []
        with pytest.raises(ValueError, match="shared integer"):
            fast_forward((ctrl, "x"), [(ctrl, "x = 0")])
        with pytest.raises(ValueError, match="shared integer"):
            fast_forward((big, "k"), [(big, "y = 0")])
        with pytest.raises(ValueError, match="shared integer"):
            fast_forward((ctrl, "ff_steps"), [(ctrl, "x = 0")], counter=(ctrl, "x"))
        with pytest.raises(ValueError, match="boolean"):
            fast_forward((ctrl, "ff_steps"), [(ctrl, "x = 0")], quiet=[(ctrl, "x", None)])
        with pytest.raises(ValueError, match="float64"):
            fast_forward((ctrl, "ff_steps"), [(ctrl, "x = 0")], quiet=[(ctrl, "flag", 1.0)])
        with pytest.raises(ValueError, match=">= 0"):
            fast_forward((ctrl, "ff_steps"), [(ctrl, "x = 0")], quiet=[(ctrl, "x", -1.0)])
        with pytest.raises(ValueError, match="at least one"):
            fast_forward((ctrl, "ff_steps"), [])
        other = b2.NeuronGroup(2, "y : 1", dt=1 * ms)
        with pytest.raises(ValueError, match="one clock"):
            fast_forward((ctrl, "ff_steps"), [(ctrl, "x = 0"), (other, "y = 0")])
        del ctrl, big, other
        gc.collect()
