"""Figures of the neuroscience protocols: voltage traces, F-I curves, STDP windows, frequency dependence.

Functions take arrays (Brian2 quantities or plain SI floats) and return a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import numpy as np

from bioneuro.plotting._figure import PALETTE, new_figure

__all__ = ["plot_voltage_trace", "plot_fi_curve", "plot_stdp_window", "plot_frequency_dependence",
           "plot_network_state", "plot_stp_responses", "plot_weight_distribution"]


def _si(values, unit_scale: float = 1.0) -> np.ndarray:
    """Plain float array in SI units divided by ``unit_scale`` (quantities or floats accepted)."""
    if values is None:
        return None
    return np.asarray(values, dtype=float) / unit_scale


def plot_voltage_trace(times, v, *, current_times=None, current=None, spike_times=None, title: str = ""):
    """Membrane potential (mV) against time (ms), with the injected current below when given.

    Parameters
    ----------
    times : Quantity [second]
    v : Quantity [volt]
    current_times : Quantity [second], optional
    current : Quantity [amp or amp/metre**2], optional
    spike_times : Quantity [second], optional
        Marked above the trace.
    title : str
    """
    two = current is not None and current_times is not None
    fig = new_figure(7.0, 4.5 if two else 3.2)
    if two:
        ax_v, ax_i = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        ax_v, ax_i = fig.subplots(1, 1), None
    t_ms = _si(times, 1e-3)
    v_mV = _si(v, 1e-3)
    ax_v.plot(t_ms, v_mV, color=PALETTE[0], lw=0.8)
    if spike_times is not None and len(spike_times):
        top = np.nanmax(v_mV) + 5
        ax_v.plot(_si(spike_times, 1e-3), np.full(len(spike_times), top), "|", color=PALETTE[1], ms=6)
    ax_v.set_ylabel("v (mV)")
    ax_v.set_title(title)
    if ax_i is not None:
        dims = getattr(current, "dim", None)
        density = dims is not None and "m^-2" in str(dims)
        scale, label = (1e-2, "I (uA/cm²)") if density else (1e-9, "I (nA)")
        ax_i.plot(_si(current_times, 1e-3), _si(current, scale), color=PALETTE[2], lw=0.8)
        ax_i.set_ylabel(label)
        ax_i.set_xlabel("time (ms)")
    else:
        ax_v.set_xlabel("time (ms)")
    return fig


def _current_axis(currents):
    dims = getattr(currents, "dim", None)
    density = dims is not None and "m^-2" in str(dims)
    return (1e-2, "current (uA/cm²)") if density else (1e-9, "current (nA)")


def plot_fi_curve(currents, rates, *, rheobase=None, analytic_currents=None, analytic_rates=None, title=""):
    """Firing rate against injected current, with the rheobase marked and an optional analytic curve.

    Parameters
    ----------
    currents : Quantity [amp or amp/metre**2]
    rates : Quantity [hertz]
    rheobase : float or Quantity, optional
        In SI units of ``currents``.
    analytic_currents, analytic_rates : Quantity, optional
        A reference curve drawn as a line.
    title : str
    """
    scale, label = _current_axis(currents)
    fig = new_figure(5.5, 4.0)
    ax = fig.subplots()
    if analytic_currents is not None:
        ax.plot(_si(analytic_currents, scale), _si(analytic_rates), color=PALETTE[1], lw=1.2, label="analytic")
    ax.plot(_si(currents, scale), _si(rates), "o", ms=3, color=PALETTE[0], label="simulated")
    if rheobase is not None and np.isfinite(float(np.asarray(rheobase))):
        ax.axvline(float(np.asarray(rheobase)) / scale, color="0.5", ls="--", lw=0.8, label="rheobase")
    ax.set_xlabel(label)
    ax.set_ylabel("rate (Hz)")
    ax.set_title(title, fontsize=9)
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_stdp_window(delta_t, change, *, fit=None, published=None, title=""):
    """Fractional weight change against spike-timing difference, with fitted and published windows.

    Parameters
    ----------
    delta_t : Quantity [second]
        ``t_post - t_pre``.
    change : array
        Fractional weight changes.
    fit, published : callable, optional
        Windows ``f(delta_t_seconds) -> change`` (e.g. ``ExponentialWindow``) drawn as lines.
    title : str
    """
    fig = new_figure(5.5, 4.0)
    ax = fig.subplots()
    x_ms = _si(delta_t, 1e-3)
    span = max(np.abs(x_ms).max(), 1.0)
    grid = np.concatenate([np.linspace(-span, -0.01, 200), np.linspace(0.01, span, 200)])
    if published is not None:
        ax.plot(grid, published(grid * 1e-3), color="0.6", lw=3.5, alpha=0.6, label="published fit (Bi & Poo)")
    if fit is not None:
        ax.plot(grid, fit(grid * 1e-3), color=PALETTE[1], lw=1.2, label="fit to simulation")
    ax.plot(x_ms, np.asarray(change, dtype=float), "o", ms=4, color=PALETTE[0], label="simulation")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set_xlabel("Δt = t_post − t_pre (ms)")
    ax.set_ylabel("fractional weight change")
    ax.set_title(title, fontsize=9)
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_frequency_dependence(frequencies, changes: dict, published: dict | None = None, *, title=""):
    """Fractional weight change at +10 ms and -10 ms against pairing frequency, one line per rule.

    Parameters
    ----------
    frequencies : Quantity [hertz]
    changes : dict
        Rule name -> array ``(n_frequencies, 2)`` (columns +10 ms, -10 ms).
    published : dict, optional
        Frequency (Hz) -> ((mean, sem) at +10 ms, (mean, sem) at -10 ms), drawn with error bars.
    title : str
    """
    fig = new_figure(9.0, 3.8)
    axes = fig.subplots(1, 2, sharey=True)
    f = _si(frequencies)
    for column, (ax, label) in enumerate(zip(axes, ("Δt = +10 ms", "Δt = −10 ms"), strict=True)):
        if published:
            pf = np.array(sorted(published))
            mean = np.array([published[x][column][0] for x in pf])
            sem = np.array([published[x][column][1] for x in pf])
            ax.errorbar(pf, mean, yerr=sem, fmt="s", color="0.3", ms=5, capsize=3, label="Sjöström 2001")
        for k, (name, change) in enumerate(changes.items()):
            ax.plot(f, np.asarray(change)[:, column], "o-", color=PALETTE[k], ms=4, label=name)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.set_xlabel("pairing frequency (Hz)")
        ax.set_title(label, fontsize=9)
    axes[0].set_ylabel("fractional weight change")
    axes[1].legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_network_state(node_ids, spike_times, population_rate, *, n_shown: int = 100, bin_size: float = 1e-3,
                       title=""):
    """Raster of the first ``n_shown`` neurons above the population rate.

    Parameters
    ----------
    node_ids : array of int
    spike_times : Quantity [second]
    population_rate : Quantity [hertz] or array [Hz]
        In bins of ``bin_size`` seconds from 0.
    n_shown : int
    bin_size : float [s]
    title : str
    """
    fig = new_figure(7.0, 4.5)
    ax_r, ax_p = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    ids = np.asarray(node_ids)
    t_ms = _si(spike_times, 1e-3)
    shown = ids < n_shown
    ax_r.plot(t_ms[shown], ids[shown], "|", ms=2, color=PALETTE[0])
    ax_r.set_ylabel("neuron")
    ax_r.set_title(title, fontsize=8)
    rate = _si(population_rate)
    ax_p.plot((np.arange(len(rate)) + 0.5) * bin_size * 1e3, rate, color=PALETTE[1], lw=0.7)
    ax_p.set_xlabel("time (ms)")
    ax_p.set_ylabel("population rate (Hz)")
    return fig


def plot_stp_responses(rates, amplitudes: dict, theory: dict | None = None, *, title=""):
    """Short-term plasticity: amplitude against spike number per rate (one panel per synapse type) and the
    steady-state amplitude against rate.

    Parameters
    ----------
    rates : Quantity [hertz]
    amplitudes : dict
        Synapse type -> array ``(n_rates, n_spikes)``.
    theory : dict, optional
        Synapse type -> closed-form steady-state amplitude per rate.
    title : str
    """
    names = list(amplitudes)
    fig = new_figure(3.2 * (len(names) + 1), 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(names) + 1))
    f = _si(rates)
    for ax, name in zip(axes, names, strict=False):
        values = np.asarray(amplitudes[name])
        for k, rate in enumerate(f):
            ax.plot(np.arange(1, values.shape[1] + 1), values[k], "o-", ms=2.5, lw=0.8,
                    color=PALETTE[k % len(PALETTE)], label=f"{rate:g} Hz")
        ax.set_xlabel("spike number")
        ax.set_title(name, fontsize=9)
    axes[0].set_ylabel("amplitude (w u x)")
    axes[0].legend(frameon=False, fontsize=7)
    ax = axes[-1]
    for k, name in enumerate(names):
        ax.plot(f, np.asarray(amplitudes[name])[:, -1], "o", color=PALETTE[k], label=f"{name} (simulated)")
        if theory and name in theory:
            ax.plot(f, np.asarray(theory[name]), "-", color=PALETTE[k], lw=0.8, label=f"{name} (closed form)")
    ax.set_xscale("log")
    ax.set_xticks(f, [f"{x:g}" for x in f])
    ax.minorticks_off()
    ax.set_xlabel("rate (Hz)")
    ax.set_title("steady state", fontsize=9)
    ax.legend(frameon=False, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_weight_distribution(final_weights, rate_times, output_rate, weight_times=None, weight_history=None, *,
                             title=""):
    """Competitive STDP: final weight histogram, weight evolution and output rate over time.

    Parameters
    ----------
    final_weights : array
        In units of the upper bound.
    rate_times : Quantity [second]
    output_rate : Quantity [hertz]
    weight_times : Quantity [second], optional
    weight_history : array ``(n_snapshots, n_synapses)``, optional
    title : str
    """
    panels = 3 if weight_history is not None else 2
    fig = new_figure(3.3 * panels, 3.4)
    axes = fig.subplots(1, panels)
    axes[0].hist(np.asarray(final_weights, dtype=float), bins=40, range=(0, 1), color=PALETTE[0])
    axes[0].set_xlabel("final weight / g_max")
    axes[0].set_ylabel("synapses")
    if weight_history is not None:
        history = np.asarray(weight_history, dtype=float)
        t = _si(weight_times)
        end = float(t[-1] + (t[1] - t[0] if len(t) > 1 else 1.0)) if len(t) else 1.0
        image = axes[1].imshow(
            np.stack([np.histogram(row, bins=20, range=(0, 1))[0] for row in history]).T,
            aspect="auto", origin="lower", cmap="viridis",
            extent=(0, end, 0, 1),
        )
        fig.colorbar(image, ax=axes[1], label="synapses")
        axes[1].set_xlabel("time (s)")
        axes[1].set_ylabel("weight / g_max")
    axes[-1].plot(_si(rate_times), _si(output_rate), color=PALETTE[1])
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_ylabel("output rate (Hz)")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
