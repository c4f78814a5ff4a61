"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000).

One conductance-based LIF neuron receives 1000 excitatory Poisson inputs through plastic synapses (additive
pair STDP with hard bounds, ``A-/A+ = 1.05``, tau+- 20 ms) and 200 inhibitory Poisson inputs through fixed
synapses. STDP makes the synapses compete: the weight distribution becomes bimodal (most weights near 0 or
near ``g_max``) and the output rate falls as the neuron becomes balanced against its inputs.

Parameters (Song et al. 2000, Methods): tau_m 20 ms, V_rest -70 mV, threshold -54 mV, reset -60 mV, E_ex 0 mV,
E_in -70 mV, tau_ex = tau_in = 5 ms; g_max 0.015 and inhibitory conductance 0.05 in units of the leak
conductance; excitatory inputs at 15 Hz and inhibitory inputs at 10 Hz (rates as collected in REFERENCES.md,
UNCONFIRMED against the paper's text); A+ = 0.005. Initial weights uniform in ``[0, g_max]`` (ours). With these
values the weights separate slowly: after 500 s about 65 % lie within 10 % of a bound (44 % near 0, 21 % near
g_max), both edge densities far above the middle; the output rate falls from about 100 Hz to about 15 Hz.

References
----------
Song S, Miller KD, Abbott LF (2000) Competitive Hebbian learning through spike-timing-dependent synaptic
plasticity. Nat Neurosci 3:919-926.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2 import Hz, Quantity, ms, second

from bioneuro.config import check_fields, param
from bioneuro.io.record import RunRecord, SpikeTrains, SynapseWeights
from bioneuro.neurons.base import make_neurons
from bioneuro.neurons.lif import LIFConductance
from bioneuro.registry import Runnable
from bioneuro.runner import StandaloneProject, run_network, runtime_device, structure_key
from bioneuro.synapses import SONG_MILLER_ABBOTT_2000, StaticSynapse, make_synapses

__all__ = ["SongParameters", "SongResult", "competitive_stdp", "bimodality", "edge_densities", "RUNNABLES"]


@dataclass(frozen=True)
class SongParameters:
    """Song, Miller & Abbott (2000) single-neuron STDP experiment (see the module docstring)."""

    n_exc_inputs: int = param(1000, positive=True, help="plastic excitatory inputs")
    n_inh_inputs: int = param(200, positive=True, help="fixed inhibitory inputs")
    exc_rate: Quantity = param(15 * Hz, positive=True, help="excitatory input rate")
    inh_rate: Quantity = param(10 * Hz, positive=True, help="inhibitory input rate")
    g_max: float = param(0.015, positive=True, help="maximal excitatory conductance / leak conductance")
    g_inh: float = param(0.05, positive=True, help="inhibitory conductance / leak conductance")
    a_plus: float = param(0.005, positive=True, help="potentiation per pair (fraction of g_max)")
    ratio: float = param(1.05, positive=True, help="A- / A+")
    duration: Quantity = param(500 * second, positive=True, help="simulated time (use --device standalone)")
    snapshot_interval: Quantity = param(1 * second, positive=True, help="weights recorded every")
    dt: Quantity = param(0.1 * ms, positive=True, help="time step")

    def __post_init__(self):
        check_fields(self)


@dataclass(frozen=True)
class SongResult:
    """Weights and output of the experiment.

    Attributes
    ----------
    final_weights : ndarray
        In units of ``g_max`` (0..1).
    weight_times : Quantity [second]
    weight_history : ndarray
        Shape ``(n_snapshots, n_inputs)``.
    spike_times : Quantity [second]
        Output spikes.
    rate_times : Quantity [second]
        Centres of the bins of ``output_rate``.
    output_rate : Quantity [hertz]
        Output rate per snapshot interval.
    """

    final_weights: np.ndarray
    weight_times: Quantity
    weight_history: np.ndarray
    spike_times: Quantity
    rate_times: Quantity
    output_rate: Quantity


def bimodality(weights: np.ndarray, edge: float = 0.1) -> float:
    """Fraction of weights (in units of the bound) within ``edge`` of 0 or of 1."""
    w = np.asarray(weights, dtype=float)
    return float(np.mean((w < edge) | (w > 1 - edge)))


def edge_densities(weights: np.ndarray, edge: float = 0.1) -> tuple[float, float, float]:
    """Probability densities (per unit weight) near 0, in the middle and near 1 (weights in units of the bound).

    A bimodal distribution with modes at the bounds has both edge densities well above the middle one.
    """
    w = np.asarray(weights, dtype=float)
    low = float(np.mean(w < edge)) / edge
    high = float(np.mean(w > 1 - edge)) / edge
    middle = float(np.mean((w >= edge) & (w <= 1 - edge))) / (1 - 2 * edge)
    return low, middle, high


def competitive_stdp(params: SongParameters, *, seed: int = 0, device: str = "runtime",
                     cache_dir: Path | None = None) -> SongResult:
    """Run the Song et al. (2000) experiment.

    Parameters
    ----------
    params : SongParameters
    seed : int
        Initial weights (numpy) and Poisson inputs (Brian2).
    device : str
        ``"runtime"`` or ``"standalone"`` (one compiled program per parameter set, much faster for long runs).
    cache_dir : Path, optional

    Returns
    -------
    SongResult
    """
    neuron = LIFConductance()  # its defaults are Song et al.'s membrane parameters
    g_leak = neuron.leak_conductance
    rule = replace(SONG_MILLER_ABBOTT_2000, A_plus=params.a_plus, A_minus=params.ratio * params.a_plus)
    rng = np.random.default_rng([seed, 2000])
    initial = rng.uniform(0, 1, params.n_exc_inputs)
    def build():
        post = make_neurons(neuron, 1, dt=params.dt, name="neuron")
        exc = b2.PoissonGroup(params.n_exc_inputs, params.exc_rate, dt=params.dt, name="exc_inputs")
        inh = b2.PoissonGroup(params.n_inh_inputs, params.inh_rate, dt=params.dt, name="inh_inputs")
        plastic = make_synapses(exc, post, rule, target_expression="g_exc_post += w * g_max_abs",
                                weights=initial, namespace={"g_max_abs": params.g_max * g_leak}, dt=params.dt,
                                name="plastic")
        fixed = make_synapses(inh, post, StaticSynapse(weight_unit=b2.nS), target_expression="g_inh_post += w",
                              weights=params.g_inh * g_leak, dt=params.dt, name="fixed")
        weights = b2.StateMonitor(plastic, "w", record=np.arange(params.n_exc_inputs), dt=params.snapshot_interval,
                                  name="weights")
        spikes = b2.SpikeMonitor(post, name="output")
        run_network(b2.Network(post, exc, inh, plastic, fixed, weights, spikes), params.duration)
        return plastic, weights, spikes

    def read(plastic, weights, spikes):
        order = np.argsort(np.asarray(plastic.i))
        return (np.asarray(plastic.w[:], dtype=float)[order], np.asarray(weights.w).T[:, order],
                np.asarray(weights.t / second) * second, np.asarray(spikes.t / second))

    if device == "standalone":
        with StandaloneProject(structure_key("song-2000", {"params": repr(params), "seed": seed}), cache_dir) as project:
            handles = build()
            project.build()
            project.run(seed=seed)
            final, history, weight_times, spike_times = read(*handles)
    else:
        with runtime_device(seed):
            final, history, weight_times, spike_times = read(*build())
    interval = float(params.snapshot_interval / second)
    n_bins = max(1, int(round(float(params.duration / second) / interval)))
    counts = np.histogram(spike_times, bins=n_bins, range=(0, n_bins * interval))[0]
    return SongResult(
        final_weights=final,
        weight_times=weight_times,
        weight_history=history,
        spike_times=spike_times * second,
        rate_times=(np.arange(n_bins) + 0.5) * interval * second,
        output_rate=counts / interval * Hz,
    )


def _execute(params: SongParameters, context) -> RunRecord:
    result = competitive_stdp(params, seed=context.seed, device=context.device, cache_dir=context.cache_dir)
    rates = np.asarray(result.output_rate / Hz)
    tenth = max(1, len(rates) // 10)
    return RunRecord(
        kind="protocol",
        name="song-2000",
        spikes={"output": SpikeTrains(np.zeros(len(result.spike_times), dtype=np.int64), result.spike_times, 1)},
        weights={"plastic": SynapseWeights(np.arange(len(result.final_weights)),
                                           np.zeros(len(result.final_weights), dtype=np.int64), result.final_weights)},
        arrays={"weight_times": result.weight_times, "weight_history": result.weight_history,
                "rate_times": result.rate_times, "output_rate": result.output_rate},
        metrics={
            "bimodal_fraction": round(bimodality(result.final_weights), 4),
            "density_low_middle_high": str(tuple(round(d, 3) for d in edge_densities(result.final_weights))),
            "fraction_near_zero": round(float(np.mean(result.final_weights < 0.1)), 4),
            "fraction_near_max": round(float(np.mean(result.final_weights > 0.9)), 4),
            "initial_rate_Hz": round(float(np.mean(rates[:tenth])), 3),
            "final_rate_Hz": round(float(np.mean(rates[-tenth:])), 3),
        },
    )


def _figures(record: RunRecord) -> dict:
    from bioneuro.plotting.protocols import plot_weight_distribution

    return {"song_2000": plot_weight_distribution(
        record.weights["plastic"].weights, record.arrays["rate_times"], record.arrays["output_rate"],
        record.arrays["weight_times"], record.arrays["weight_history"])}


RUNNABLES = [
    Runnable(
        name="song-2000",
        kind="protocol",
        summary="Song, Miller & Abbott 2000 competitive STDP: bimodal weights, falling output rate",
        parameters=SongParameters,
        execute=_execute,
        figures=_figures,
    )
]
