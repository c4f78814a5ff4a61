"""Short-term plasticity: Tsodyks-Markram synapses driven by regular presynaptic trains at several rates.

Each rate drives its own synapse (all in parallel); the amplitude transmitted at every presynaptic spike
(``w u x``) is recorded. Reported: the transient (paired-pulse ratio ``A_2 / A_1``, the amplitude of every
spike) and the steady state (last amplitude, and the closed-form stationary amplitude of a regular train),
for a depressing and a facilitating synapse.

References
----------
Tsodyks M, Pawelzik K, Markram H (1998) Neural networks with dynamic synapses. Neural Comput 10:821-835.
Markram H, Wang Y, Tsodyks M (1998) Differential signaling via the same axon of neocortical pyramidal neurons.
PNAS 95:5323-5328.
Maass W, Natschläger T, Markram H (2002) Neural Comput 14:2531-2560, Appendix B (parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

import brian2 as b2
import numpy as np
from brian2 import Hz, Quantity, ms, second

from bioneuro.config import check_fields, param
from bioneuro.io.record import RunRecord
from bioneuro.registry import Runnable
from bioneuro.runner import run_network, runtime_device
from bioneuro.synapses import DEPRESSING, FACILITATING, TsodyksMarkram, make_synapses

__all__ = [
    "STP_SYNAPSES",
    "TrainResponse",
    "train_responses",
    "steady_state_amplitude",
    "ShortTermParameters",
    "RUNNABLES",
]

#: Synapse types of the protocol: Maass et al. (2002) EE (depressing) and EI (facilitating) means.
STP_SYNAPSES = {"depressing": DEPRESSING, "facilitating": FACILITATING}


@dataclass(frozen=True)
class TrainResponse:
    """Amplitudes transmitted by one synapse type for trains at several rates.

    Attributes
    ----------
    rates : Quantity [hertz]
    amplitudes : ndarray
        Shape ``(n_rates, n_spikes)``, in units of the weight ``w`` (``w u x`` at each spike).
    """

    rates: Quantity
    amplitudes: np.ndarray

    @property
    def paired_pulse_ratio(self) -> np.ndarray:
        """``A_2 / A_1`` per rate."""
        return self.amplitudes[:, 1] / self.amplitudes[:, 0]

    @property
    def steady_state(self) -> np.ndarray:
        """Last amplitude of each train."""
        return self.amplitudes[:, -1]


def steady_state_amplitude(synapse: TsodyksMarkram, rate: Quantity, weight: float = 1.0) -> np.ndarray:
    """Stationary amplitude ``w u* x*`` of a regular train (fixed point of the Tsodyks-Markram recursion).

    ``u* = U / (1 - (1 - U) e^{-T/F})`` and ``x* = (1 - e^{-T/D}) / (1 - (1 - u*) e^{-T/D})`` with ``T = 1/rate``.

    Parameters
    ----------
    synapse : TsodyksMarkram
    rate : Quantity [hertz]
    weight : float

    Returns
    -------
    ndarray
    """
    interval = 1 / np.asarray(rate / Hz, dtype=float)
    decay_f = np.exp(-interval / float(synapse.tau_facil / second))
    decay_d = np.exp(-interval / float(synapse.tau_rec / second))
    u = synapse.U / (1 - (1 - synapse.U) * decay_f)
    x = (1 - decay_d) / (1 - (1 - u) * decay_d)
    return weight * u * x


def train_responses(
    synapse: TsodyksMarkram,
    rates: Quantity,
    n_spikes: int = 20,
    *,
    weight: float = 1.0,
    dt: Quantity = 0.1 * ms,
    formulation: str = "event-driven",
    seed: int = 0,
) -> TrainResponse:
    """Drive one synapse per rate with a regular train of ``n_spikes`` spikes and record each amplitude.

    Parameters
    ----------
    synapse : TsodyksMarkram
    rates : Quantity [hertz]
    n_spikes : int
        At least 2.
    weight : float
        Weight ``w`` (a number; the amplitudes are in its unit).
    dt : Quantity [second]
    formulation : str
        ``"event-driven"`` or ``"clock-driven"``.
    seed : int

    Returns
    -------
    TrainResponse
    """
    if n_spikes < 2:
        raise ValueError(f"n_spikes = {n_spikes!r} must be at least 2")
    freqs = np.asarray(rates / Hz, dtype=float)
    if freqs.ndim != 1 or np.any(freqs <= 0):
        raise ValueError(f"rates must be a 1-D array of positive rates, got {rates!r}")
    step = float(dt / second)
    indices, steps = [], []
    for k, f in enumerate(freqs):
        indices.append(np.full(n_spikes, k))
        steps.append(np.round(1 + np.arange(n_spikes) / f / step).astype(int))
    all_steps = np.concatenate(steps)
    unit_weight = synapse.weight_unit if isinstance(synapse.weight_unit, b2.Quantity) else 1.0
    with runtime_device(seed):
        pre = b2.SpikeGeneratorGroup(len(freqs), np.concatenate(indices), all_steps * step * second, dt=dt)
        post = b2.NeuronGroup(len(freqs), "received : 1", dt=dt, name="received")
        monitor = b2.StateMonitor(post, "received", record=True, dt=dt)
        syn = make_synapses(pre, post, synapse, target_expression="received_post += w / w_unit",
                            connect={"j": "i"}, weights=weight * unit_weight, formulation=formulation,
                            namespace={"w_unit": unit_weight}, dt=dt)
        run_network(b2.Network(pre, post, syn, monitor), (all_steps.max() + 3) * dt)
        trace = np.asarray(monitor.received)  # (n_rates, n_times); sample k is taken before step k's spikes
    amplitudes = np.stack([trace[k, s + 1] - trace[k, s] for k, s in enumerate(steps)])
    return TrainResponse(freqs * Hz, amplitudes)


@dataclass(frozen=True)
class ShortTermParameters:
    """Trains of 20 spikes at 5-50 Hz into the depressing (Maass 2002 EE) and facilitating (EI) synapses."""

    rates: tuple = param(tuple(np.array([2.0, 5.0, 10.0, 20.0, 50.0]) * Hz), help="train rates")
    n_spikes: int = param(20, positive=True, help="spikes per train")
    dt: Quantity = param(0.1 * ms, positive=True, help="time step")

    def __post_init__(self):
        check_fields(self)


def _execute(params: ShortTermParameters, context) -> RunRecord:
    rates = np.asarray([float(r / Hz) for r in params.rates]) * Hz
    arrays, metrics = {"rates": rates}, {}
    for name, synapse in STP_SYNAPSES.items():
        response = train_responses(synapse, rates, params.n_spikes, dt=params.dt, seed=context.seed)
        arrays[f"amplitudes_{name}"] = response.amplitudes
        arrays[f"steady_state_theory_{name}"] = steady_state_amplitude(synapse, rates)
        for k, f in enumerate(np.asarray(rates / Hz)):
            metrics[f"{name}_ppr_{f:g}Hz"] = round(float(response.paired_pulse_ratio[k]), 5)
            metrics[f"{name}_steady_{f:g}Hz"] = round(float(response.steady_state[k]), 6)
    return RunRecord(kind="protocol", name="short-term-plasticity", arrays=arrays, metrics=metrics)


def _figures(record: RunRecord) -> dict:
    from bioneuro.plotting.protocols import plot_stp_responses

    amplitudes = {k.removeprefix("amplitudes_"): v for k, v in record.arrays.items() if k.startswith("amplitudes_")}
    theory = {k.removeprefix("steady_state_theory_"): v for k, v in record.arrays.items()
              if k.startswith("steady_state_theory_")}
    return {"short_term_plasticity": plot_stp_responses(record.arrays["rates"], amplitudes, theory)}


RUNNABLES = [
    Runnable(
        name="short-term-plasticity",
        kind="protocol",
        summary="Tsodyks-Markram depressing and facilitating synapses under regular trains: transient and steady state",
        parameters=ShortTermParameters,
        execute=_execute,
        figures=_figures,
    )
]
