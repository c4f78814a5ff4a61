"""Baseline: the Diehl & Cook (2015) network as a plain Brian2 runtime loop (the public ports' structure).

One ``run()`` per presentation and per rest, weights normalised in numpy before each presentation, a
``PoissonGroup`` input, per-synapse event-driven STDP traces. It is written independently of the compiled
model in :mod:`bioneuro.models.diehl_cook` (same published parameters, different formulation) and serves
as its reference in two places: the speed benchmark (``bench_diehl_cook.py``) and the test that both
give the same spike-count statistics.

Run as a script it presents images and prints JSON with the time of each presentation::

    python benchmarks/diehl_cook_runtime_baseline.py --n-neurons 400 --images 3 --dataset embedded
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import brian2 as b2
import numpy as np
from bioneuro.models.diehl_cook.network import euler_factor_time_constant
from brian2 import Hz

__all__ = ["RuntimeDiehlCook"]

BASE_EXC = """
dv/dt = ((v_rest_e - v) + ge*(E_exc - v) + gi*(E_inh_e - v)) / tau_e : volt (unless refractory)
dge/dt = -ge/tau_ge : 1
dgi/dt = -gi/tau_gi : 1
dtheta/dt = -plastic*theta/tau_theta : volt
plastic : 1 (shared)
"""
BASE_INH = """
dv/dt = ((v_rest_i - v) + ge*(E_exc - v) + gi*(E_inh_i - v)) / tau_i : volt (unless refractory)
dge/dt = -ge/tau_ge : 1
dgi/dt = -gi/tau_gi : 1
"""
BASE_STDP = """
w : 1
dpre/dt = -pre/tau_pre : 1 (event-driven)
dpost1/dt = -post1/tau_post1 : 1 (event-driven)
dpost2/dt = -post2/tau_post2 : 1 (event-driven)
"""
BASE_ON_PRE = """
ge_post += w
pre = 1.
w = clip(w - plastic_post*nu_pre*post1, 0, w_max)
"""
BASE_ON_POST = """
post2before = post2
w = clip(w + plastic_post*nu_post*pre*post2before, 0, w_max)
post1 = 1.
post2 = 1.
"""


class RuntimeDiehlCook:
    """The network on Brian2's runtime device, driven image by image from Python.

    Parameters
    ----------
    params : DiehlCookParameters
        Network parameters (the run fields are ignored).
    seed : int
        Seed of the initial weights, delays and Poisson input.
    codegen_target : str
        ``"cython"`` (compiled, cached in ~/.cython) or ``"numpy"``.
    weights, delays : ndarray, optional
        Initial weights (784 x n, or flat in synapse order ``i*n + j``) and delays in seconds; default:
        drawn as in the released code.
    """

    def __init__(self, params, seed: int = 0, codegen_target: str = "cython", weights=None, delays=None):
        p = params
        b2.set_device("runtime")
        b2.prefs.codegen.target = codegen_target
        b2.start_scope()
        b2.seed(seed)
        b2.defaultclock.dt = p.dt
        self.params = p
        n = p.n_neurons
        ns = {
            "v_rest_e": p.v_rest_exc, "v_reset_e": p.v_reset_exc, "v_thresh_e": p.v_threshold_exc,
            "tau_e": p.tau_membrane_exc, "theta_offset": p.theta_offset, "theta_plus": p.theta_increment,
            "tau_theta": p.tau_theta, "v_rest_i": p.v_rest_inh, "v_reset_i": p.v_reset_inh,
            "v_thresh_i": p.v_threshold_inh, "tau_i": p.tau_membrane_inh, "E_exc": p.E_exc,
            "E_inh_e": p.E_inh_exc, "E_inh_i": p.E_inh_inh, "tau_ge": p.tau_ge, "tau_gi": p.tau_gi,
            "tau_pre": p.tau_pre, "tau_post1": p.tau_post1, "tau_post2": p.tau_post2,
            "nu_pre": p.nu_pre, "nu_post": p.nu_post, "w_max": p.w_max,
            "w_ei": p.w_exc_inh, "w_ie": p.w_inh_exc,
        }
        rng = np.random.default_rng(seed)
        self.inp = b2.PoissonGroup(784, np.zeros(784) * Hz, name="base_input")
        exc_ns = dict(ns)
        if p.membrane_integration == "exponential_euler":
            # exact decays per step equal to forward Euler's factors 1 - dt/tau (as the model does)
            for name, tau in (("tau_ge", p.tau_ge), ("tau_gi", p.tau_gi)):
                exc_ns[name] = euler_factor_time_constant(tau, p.dt)
        # the released code under Brian 1 kept integrating v during refractoriness (clamp_refractory_v=False)
        exc_equations = BASE_EXC if p.clamp_refractory_v else BASE_EXC.replace(" (unless refractory)", "", 1)
        self.exc = b2.NeuronGroup(
            n, exc_equations, threshold="v > theta - theta_offset + v_thresh_e",
            reset="v = v_reset_e; theta += plastic*theta_plus", refractory=p.refractory_exc,
            method=p.membrane_integration, namespace=exc_ns, name="base_exc",
        )
        self.inh = b2.NeuronGroup(
            n, BASE_INH, threshold="v > v_thresh_i", reset="v = v_reset_i", refractory=p.refractory_inh,
            method="euler", namespace=ns, name="base_inh",
        )
        self.exc.v = p.v_rest_exc - 40 * b2.mV
        self.inh.v = p.v_rest_inh - 40 * b2.mV
        self.exc.theta = p.theta_init
        self.syn = b2.Synapses(
            self.inp, self.exc, BASE_STDP, on_pre=BASE_ON_PRE, on_post=BASE_ON_POST, namespace=ns,
            name="base_input_exc",
        )
        self.syn.connect()
        if weights is None:
            weights = p.w_init_scale * (rng.random((784, n)) + 0.01)
        if delays is None:
            delays = rng.uniform(0, float(p.max_delay), size=784 * n)
        self.syn.w = np.asarray(weights, dtype=float).ravel()
        self.syn.delay = np.asarray(delays, dtype=float).ravel() * b2.second
        self.s_ei = b2.Synapses(self.exc, self.inh, on_pre="ge_post += w_ei", namespace=ns, name="base_ei")
        self.s_ei.connect(j="i")
        self.s_ie = b2.Synapses(self.inh, self.exc, on_pre="gi_post += w_ie", namespace=ns, name="base_ie")
        self.s_ie.connect(condition="i != j")
        self.counter = b2.SpikeMonitor(self.exc, record=False, name="base_counter")
        self.input_counter = b2.SpikeMonitor(self.inp, record=False, name="base_input_counter")
        self.net = b2.Network(
            self.inp, self.exc, self.inh, self.syn, self.s_ei, self.s_ie, self.counter, self.input_counter
        )
        self._previous = np.zeros(n, dtype=np.int64)
        self.presentations: list[dict] = []

    def normalise(self) -> None:
        """Scale each excitatory neuron's input weights to sum to ``weight_total``."""
        n = self.params.n_neurons
        w = np.asarray(self.syn.w[:]).reshape(784, n)
        sums = w.sum(axis=0)
        factors = np.where(sums > 0, self.params.weight_total / np.where(sums > 0, sums, 1), 1.0)
        self.syn.w[:] = (w * factors).ravel()

    def present(self, image: np.ndarray, learn: bool = True) -> np.ndarray:
        """Show one image with the retry rule; returns the accepted presentation's spike counts."""
        p = self.params
        intensity = p.intensity
        self.exc.plastic = 1.0 if learn else 0.0
        for attempt in range(p.max_retries + 1):
            started = time.perf_counter()
            cpu_started = time.process_time()
            if learn:
                self.normalise()
            self.inp.rates = np.asarray(image, dtype=float) * float(p.rate_per_pixel / Hz) * intensity * Hz
            inputs_before = int(self.input_counter.num_spikes)
            self.net.run(p.presentation_time)
            counts = np.asarray(self.counter.count[:]) - self._previous
            self._previous = np.asarray(self.counter.count[:]).copy()
            self.inp.rates = 0 * Hz
            self.net.run(p.rest_time)
            self.presentations.append(
                {
                    "seconds": time.perf_counter() - started,
                    "cpu_seconds": time.process_time() - cpu_started,
                    "exc_spikes": int(counts.sum()),
                    "input_spikes": int(self.input_counter.num_spikes) - inputs_before,
                    "intensity": intensity,
                }
            )
            if counts.sum() >= p.min_spikes or attempt == p.max_retries:
                return counts
            intensity += p.intensity_step
        raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    """Command line: present images and print per-presentation times and counts as JSON."""
    from bioneuro.models.diehl_cook import DiehlCookParameters

    from bioneuro.io.datasets import load_embedded_mnist, load_mnist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=400)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--first", type=int, default=0, help="index of the first image")
    parser.add_argument("--dataset", choices=("mnist", "embedded"), default="embedded")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", choices=("cython", "numpy"), default="cython")
    parser.add_argument("--warmup", type=int, default=1, help="untimed presentations first (compilation)")
    parser.add_argument("--weights", help="npz file with 'w' (784*n) and 'delay' (s) initial values")
    parser.add_argument("--no-learn", action="store_true", help="plasticity and threshold adaptation off")
    args = parser.parse_args(argv)
    data = load_mnist("train") if args.dataset == "mnist" else load_embedded_mnist("train")
    weights = delays = None
    if args.weights:
        with np.load(args.weights) as values:
            weights, delays = values["w"], values["delay"]
    model = RuntimeDiehlCook(
        DiehlCookParameters(n_neurons=args.n_neurons), args.seed, args.target, weights, delays
    )
    for k in range(args.warmup):
        model.present(data.images[k], learn=not args.no_learn)
    model.presentations.clear()
    for k in range(args.first, args.first + args.images):
        model.present(data.images[k], learn=not args.no_learn)
    json.dump({"presentations": model.presentations, "target": args.target}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
