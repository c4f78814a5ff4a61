"""``bioneuro validate``: run every protocol against its published or analytic reference.

:func:`run_validation` runs the checks below, writes ``VALIDATION.md`` (a table of protocol, model, measured
value, reference value, tolerance and pass/fail, with the sources) and the figures into
``<out_dir>/validation/``, and returns the path of the Markdown file. Each check is a function returning
rows and figures, so a failing check does not hide the others.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Hz, cm, ms, mV, nA, second, uA

from bioneuro.config import param
from bioneuro.io.record import RunRecord
from bioneuro.registry import Runnable

__all__ = ["Row", "CHECKS", "ValidationReport", "collect", "write_report", "run_validation", "RUNNABLES"]


@dataclass(frozen=True)
class Row:
    """One line of the validation table."""

    protocol: str
    model: str
    quantity: str
    measured: str
    reference: str
    tolerance: str
    passed: bool | None  # None: reported, not tested
    source: str


def _fmt(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if np.isfinite(value) else "nan"


def check_hodgkin_huxley_pulse():
    from bioneuro.protocols.current_clamp import current_clamp

    from bioneuro.encoders.waveforms import step_current
    from bioneuro.neurons import HodgkinHuxley
    from bioneuro.plotting.protocols import plot_voltage_trace

    pulse = step_current(20 * uA / cm**2, 5 * ms, 6 * ms, 40 * ms, 0.01 * ms)
    result = current_clamp(HodgkinHuxley(), pulse, t_start=5 * ms, t_stop=6 * ms)
    peak = float(result.action_potentials.peak[0] / mV)
    ahp = float(result.action_potentials.ahp[0] / mV)
    source = "Hodgkin & Huxley 1952 (REFERENCES.md: peak ≈ +40 mV, AHP ≈ −76 mV)"
    rows = [
        Row("current clamp, 1 ms 20 µA/cm² pulse", "Hodgkin-Huxley 1952", "AP peak (mV)", _fmt(peak, 4), "+40",
            "±2 mV", abs(peak - 40) <= 2, source),
        Row("current clamp, 1 ms 20 µA/cm² pulse", "Hodgkin-Huxley 1952", "AHP (mV)", _fmt(ahp, 4), "−76",
            "±2 mV", abs(ahp + 76) <= 2, source),
        Row("current clamp, 1 ms 20 µA/cm² pulse", "Hodgkin-Huxley 1952", "half-width (ms)",
            _fmt(float(result.action_potentials.half_width[0] / ms)), "—", "reported", None, ""),
    ]
    figure = plot_voltage_trace(result.times, result.v, current_times=pulse.times, current=pulse.values,
                                spike_times=result.spike_times, title="HH: 1 ms, 20 µA/cm² pulse from rest")
    return rows, {"hh_pulse": figure}


def check_hodgkin_huxley_fi():
    from bioneuro.protocols._simulate import ConstantCurrentBatch
    from bioneuro.protocols.fi_curve import fi_curve

    from bioneuro.neurons import HodgkinHuxley
    from bioneuro.plotting.protocols import plot_fi_curve
    from bioneuro.runner import codegen_target

    model = HodgkinHuxley()
    currents = np.linspace(0, 20, 60) * uA / cm**2
    result = fi_curve(model, currents, duration=1 * second, t_transient=200 * ms, relative_tolerance=1e-3)
    rates = np.asarray(result.rates * second)
    values = np.asarray(currents / (uA / cm**2))
    below = rates[values <= 0.8 * float(result.rheobase.high / (uA / cm**2))]
    # speed: the 60-current, 1 s sweep again on a warm Cython cache, then on a compiled standalone program
    with ConstantCurrentBatch(model, 60, 1 * second, 0.01 * ms) as batch:
        start = time.perf_counter()
        batch.run(currents)
        runtime_seconds = time.perf_counter() - start
    with ConstantCurrentBatch(model, 60, 1 * second, 0.01 * ms, device="standalone") as batch:
        start = time.perf_counter()
        batch.run(currents)
        standalone_seconds = time.perf_counter() - start
    rheobase = float(result.rheobase.high / (uA / cm**2))
    source = "Hodgkin 1948 class II; Rinzel & Ermentrout 1998 (HH onset of repetitive firing ≈ 6.2–6.3 µA/cm²)"
    rows = [
        Row("F–I curve (60 currents × 1 s)", "Hodgkin-Huxley 1952", "repetitive firing ≤ 0.8 × rheobase",
            f"{int(np.sum(below > 0))} of {len(below)} currents", "none", "0", bool(np.all(below == 0)), source),
        Row("F–I curve", "Hodgkin-Huxley 1952", "rheobase (µA/cm²), bisection", _fmt(rheobase, 4), "≈ 6.2–6.3",
            "[5.8, 6.8]", 5.8 <= rheobase <= 6.8, source),
        Row("F–I curve", "Hodgkin-Huxley 1952", "rate just above rheobase (Hz)",
            _fmt(float(result.rheobase.onset_rate * second)), "finite (> 0)", "> 30 Hz",
            float(result.rheobase.onset_rate * second) > 30, source),
        Row("F–I curve", "Hodgkin-Huxley 1952", "onset type", result.onset_type, "II (discontinuous)", "exact",
            result.onset_type == "II", source),
        Row("F–I speed", "Hodgkin-Huxley 1952",
            f"60 currents × 1 s, dt 0.01 ms, runtime device ({codegen_target()}), second run (s)",
            _fmt(runtime_seconds), "< 20 s", "< 20 s", runtime_seconds < 20, "issue 3 speed target"),
        Row("F–I speed", "Hodgkin-Huxley 1952", "same, C++ standalone, after compilation (s)",
            _fmt(standalone_seconds), "< 20 s", "< 20 s", standalone_seconds < 20, "issue 3 speed target"),
    ]
    figure = plot_fi_curve(currents, result.rates, rheobase=float(np.asarray(result.rheobase.high)),
                           title=f"HH F–I: rheobase {rheobase:.3f} µA/cm², onset type {result.onset_type}")
    return rows, {"hh_fi_curve": figure}


def check_lif_fi():
    from bioneuro.protocols.fi_curve import fi_curve

    from bioneuro.neurons import LIFCurrent
    from bioneuro.neurons.lif import lif_firing_rate
    from bioneuro.plotting.protocols import plot_fi_curve

    model = LIFCurrent()
    currents = np.linspace(0, 5, 60) * nA
    result = fi_curve(model, currents, duration=1 * second, dt=0.1 * ms, t_transient=0 * ms)
    expected = np.asarray(lif_firing_rate(model, currents) * second)
    measured = np.asarray(result.rates * second)
    on = expected > 0
    worst = float(np.max(np.abs(1 / measured[on] - 1 / expected[on]))) if np.all(measured[on] > 0) else np.inf
    same_onset = bool(np.array_equal(measured > 0, on))
    source = "Dayan & Abbott 2001 eq. 5.11 with refractoriness (analytic)"
    rows = [
        Row("F–I curve (60 currents)", "LIF (current)", "max abs(1/f − T_analytic) (ms)", _fmt(worst * 1e3),
            "0", "≤ dt = 0.1 ms", worst <= 1e-4 + 1e-12 and same_onset, source),
        Row("F–I curve", "LIF (current)", "rheobase (nA)", _fmt(float(result.rheobase.high / nA), 5), "1.5",
            "0.1 %", abs(float(result.rheobase.high / nA) - 1.5) <= 1.5e-3, source),
        Row("F–I curve", "LIF (current)", "onset type", result.onset_type, "I (continuous)", "exact",
            result.onset_type == "I", source),
    ]
    fine = np.linspace(0, 5, 500) * nA
    figure = plot_fi_curve(currents, result.rates, rheobase=float(np.asarray(result.rheobase.high)),
                           analytic_currents=fine, analytic_rates=lif_firing_rate(model, fine),
                           title="LIF F–I against the analytic curve")
    return rows, {"lif_fi_curve": figure}


def check_stdp_window():
    from bioneuro.protocols._pairing import PLASTIC_RULES
    from bioneuro.protocols.stdp_window import BI_POO_FIT, stdp_window

    from bioneuro.plotting.protocols import plot_stdp_window

    delta_t = np.array([-100, -80, -60, -40, -30, -20, -15, -10, -5, -2, 2, 5, 10, 15, 20, 30, 40, 60, 80, 100]) * ms
    # every timing is a multiple of 1 ms and the traces are event-driven (exact), so dt = 1 ms loses nothing
    result = stdp_window(PLASTIC_RULES["bi-poo-additive"], delta_t, n_pairings=60, pairing_rate=1 * Hz, dt=1 * ms)
    fit = result.fit
    tau_p, tau_m = float(fit.tau_plus / ms), float(fit.tau_minus / ms)
    source = "Bi & Poo 1998/2001 exponential fit (τ+ 16.8 ms, τ− 33.7 ms; A± 0.777/0.273 UNCONFIRMED)"
    rows = [
        Row("STDP window, 60 pairings at 1 Hz", "pair STDP (Bi & Poo τ, additive)", "fitted τ+ (ms)",
            _fmt(tau_p, 4), "16.8", "2 %", abs(tau_p / 16.8 - 1) <= 0.02, source),
        Row("STDP window", "pair STDP (Bi & Poo τ, additive)", "fitted τ− (ms)", _fmt(tau_m, 4), "33.7", "2 %",
            abs(tau_m / 33.7 - 1) <= 0.02, source),
        Row("STDP window", "pair STDP (Bi & Poo τ, additive)", "fitted A+", _fmt(fit.a_plus, 4), "0.777", "2 %",
            abs(fit.a_plus / 0.777 - 1) <= 0.02, source),
        Row("STDP window", "pair STDP (Bi & Poo τ, additive)", "fitted A−", _fmt(fit.a_minus, 4), "0.273", "2 %",
            abs(fit.a_minus / 0.273 - 1) <= 0.02, source),
    ]
    figure = plot_stdp_window(delta_t, result.change, fit=fit, published=BI_POO_FIT,
                              title="STDP window (Bi & Poo protocol), fit and published fit")
    return rows, {"stdp_window": figure}


def check_frequency_dependence():
    from bioneuro.protocols._pairing import PLASTIC_RULES
    from bioneuro.protocols.frequency_dependence import (
        SJOSTROM_2001,
        frequency_dependence,
        sjostrom_sign_pattern,
    )

    from bioneuro.plotting.protocols import plot_frequency_dependence

    frequencies = np.array(sorted(SJOSTROM_2001)) * Hz
    source = "Sjöström et al. 2001 (table in REFERENCES.md); Pfister & Gerstner 2006 Table 4 (visual, all-to-all)"
    rows, changes = [], {}
    for name, label, expect in (("triplet-visual", "triplet STDP (P&G visual all-to-all)", True),
                                ("bi-poo-additive", "pair STDP (Bi & Poo)", False)):
        result = frequency_dependence(PLASTIC_RULES[name], frequencies)
        changes[label] = result.change
        pattern = sjostrom_sign_pattern(result)
        text = ", ".join(f"{f:g} Hz: {p:+.2f}/{m:+.2f}" for f, (p, m) in zip(np.asarray(frequencies / Hz),
                                                                            result.change, strict=True))
        published = ", ".join(f"{f:g}: {v[0][0]:+.2f}/{v[1][0]:+.2f}" for f, v in sorted(SJOSTROM_2001.items()))
        rows.append(Row("frequency dependence (±10 ms, 75 pairs)", label, "Δw at +10/−10 ms", text, published,
                        "reported", None, source))
        rows.append(Row("frequency dependence", label, "Sjöström sign pattern reproduced",
                        str(pattern["all"]), str(expect), "exact", pattern["all"] == expect, source))
    figure = plot_frequency_dependence(frequencies, changes, SJOSTROM_2001,
                                       title="Frequency dependence: pair vs triplet rule against Sjöström 2001")
    return rows, {"frequency_dependence": figure}


def check_song():
    from bioneuro.protocols.competitive_stdp import (
        SongParameters,
        bimodality,
        competitive_stdp,
        edge_densities,
    )

    from bioneuro.plotting.protocols import plot_weight_distribution

    result = competitive_stdp(SongParameters(duration=500 * second, snapshot_interval=5 * second), seed=1,
                              device="standalone")
    rates = np.asarray(result.output_rate / Hz)
    tenth = max(1, len(rates) // 10)
    first, last = float(np.mean(rates[:tenth])), float(np.mean(rates[-tenth:]))
    fraction = bimodality(result.final_weights)
    low, middle, high = edge_densities(result.final_weights)
    source = "Song, Miller & Abbott 2000 (Fig. 1: bimodal weights, output rate decreases)"
    rows = [
        Row("competitive STDP, 500 s", "conductance LIF + additive pair STDP", "weights within 0.1 g_max of a bound",
            f"{fraction:.0%}", "most", "> 50 %", fraction > 0.5, source),
        Row("competitive STDP", "conductance LIF + additive pair STDP", "density near 0 / middle / near g_max",
            f"{low:.2f} / {middle:.2f} / {high:.2f}", "two modes at the bounds", "both edges > 2 × middle",
            low > 2 * middle and high > 2 * middle, source),
        Row("competitive STDP", "conductance LIF + additive pair STDP", "output rate first → last 50 s (Hz)",
            f"{first:.1f} → {last:.1f}", "falls", "last < first", last < first, source),
    ]
    figure = plot_weight_distribution(result.final_weights, result.rate_times, result.output_rate,
                                      result.weight_times, result.weight_history)
    return rows, {"song_2000": figure}


def check_short_term():
    from bioneuro.protocols.short_term import STP_SYNAPSES, steady_state_amplitude, train_responses

    from bioneuro.plotting.protocols import plot_stp_responses

    rates = np.array([2.0, 5.0, 10.0, 20.0, 50.0]) * Hz
    rows, amplitudes, theory = [], {}, {}
    source = "Tsodyks & Markram 1998 recursion, Maass et al. 2002 App. B parameters (closed-form fixed point)"
    for name, synapse in STP_SYNAPSES.items():
        response = train_responses(synapse, rates, 60, dt=1 * ms)
        expected = steady_state_amplitude(synapse, rates)
        error = float(np.max(np.abs(response.steady_state / expected - 1)))
        amplitudes[name], theory[name] = response.amplitudes, expected
        rows.append(Row("short-term plasticity, 60-spike trains", f"Tsodyks-Markram {name}",
                        "max relative error of steady state", f"{error:.1e}", "0", "1 %", error <= 0.01, source))
        ppr = ", ".join(f"{f:g} Hz: {p:.2f}" for f, p in zip(np.asarray(rates / Hz), response.paired_pulse_ratio,
                                                              strict=True))
        rows.append(Row("short-term plasticity", f"Tsodyks-Markram {name}", "paired-pulse ratio", ppr,
                        "< 1" if name == "depressing" else "> 1", "sign",
                        bool(np.all(response.paired_pulse_ratio < 1) if name == "depressing"
                             else np.all(response.paired_pulse_ratio > 1)), source))
    return rows, {"short_term_plasticity": plot_stp_responses(rates, amplitudes, theory)}


def check_brunel():
    from bioneuro.protocols.brunel import BrunelParameters, simulate_brunel

    from bioneuro.plotting.protocols import plot_network_state

    rows, figures = [], {}
    source = "Brunel 2000 (Fig. 8 states; mean field eqs. 4–5, 21)"
    for state in "ABCD":
        duration = 600 * ms if state == "C" else 300 * ms  # only C is tested; A-D are reported
        result = simulate_brunel(BrunelParameters(state=state, duration=duration), seed=5)
        rate, theory = float(result.rate / Hz), float(result.mean_field_rate / Hz)
        described = f"rate {rate:.1f} Hz, CV {result.mean_cv:.2f}, χ {result.chi:.2f}"
        if state == "C":
            rows.append(Row("Brunel network, 5000 neurons, C_E 1000", "state C (AI), g 5, η 2",
                            "population rate vs Siegert mean field (Hz)", f"{rate:.2f}", f"{theory:.2f}", "10 %",
                            abs(rate / theory - 1) <= 0.10, source))
            rows.append(Row("Brunel network", "state C (AI)", "CV ISI / χ", described, "irregular, asynchronous",
                            "CV > 0.3, χ < 0.3", result.mean_cv > 0.3 and result.chi < 0.3, source))
        else:
            rows.append(Row("Brunel network", f"state {state}", "rate, CV, synchrony χ", described,
                            f"mean field {theory:.1f} Hz (asynchronous branch)", "reported", None, source))
        title = f"Brunel state {state}: {described}, mean field {theory:.1f} Hz"
        figures[f"brunel_state_{state}"] = plot_network_state(result.node_ids, result.spike_times,
                                                              result.population_rate, title=title)
    return rows, figures


#: Caveats printed under the table.
NOTES = (
    "Frequency dependence: 75 continuous pairs per frequency (as we read Pfister & Gerstner's simulation of the "
    "Sjöström protocol; UNCONFIRMED). With Sjöström's 15 trains of 5 pairs the all-to-all visual triplet "
    "parameters do not make +10 ms potentiation grow with frequency; the nearest-spike parameters do.",
    "The all-to-all pair rule with the Bi & Poo window does turn −10 ms pairing into slight potentiation at "
    "40–50 Hz (at 50 Hz ±10 ms pairings are the same spike train); what it cannot reproduce is +10 ms "
    "potentiation growing with frequency, so the sign pattern as a whole fails.",
    "STDP window: the measured window is the configured rule (additive, pairings 1 s apart), so the fit "
    "returns its τ± and n·A±; the published amplitudes 0.777/0.273 are the values usually quoted with Bi & Poo's "
    "fit and are UNCONFIRMED against the papers' text.",
    "Song et al. 2000: inputs at 15 Hz (REFERENCES.md), 500 s, initial weights uniform (ours); weights keep "
    "separating slowly after 500 s.",
    "Brunel 2000: the reduced network keeps the paper's in-degree (C_E = 1000) with ε = 0.25 so that the "
    "mean-field prediction is the paper's; the paper-size network (ε = 0.1, N_E = 10000) is the long test "
    "`test_brunel_paper_size_states`. States A, B and D are reported, not tested (the Siegert rate is that of "
    "the asynchronous branch, which is unstable there).",
)

CHECKS: dict[str, Callable] = {
    "hh_pulse": check_hodgkin_huxley_pulse,
    "lif_fi": check_lif_fi,
    "hh_fi": check_hodgkin_huxley_fi,
    "stdp_window": check_stdp_window,
    "frequency_dependence": check_frequency_dependence,
    "short_term": check_short_term,
    "brunel": check_brunel,
    "song": check_song,
}


def _markdown(rows: list[Row], figures: list[str], timings: dict[str, float], failures: dict[str, str]) -> str:
    lines = [
        "# Validation of the neuroscience protocols",
        "",
        "Generated by `bioneuro validate` (`bioneuro.protocols.validation.run_validation`); "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"{platform.python_version()}. Each row states its source and tolerance.",
        "",
        "Regenerate with `bioneuro validate`, or `python -c \"from bioneuro.protocols.validation import "
        "run_validation; run_validation('results')\"` (add a list of check names, e.g. `['hh_fi']`, to run a "
        "subset; the F–I speed rows come from `hh_fi`). The runtime device uses `$BIONEURO_CODEGEN` "
        "(Cython by default).",
        "",
        "| protocol | model | quantity | measured | reference | tolerance | result | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        result = "reported" if row.passed is None else ("**pass**" if row.passed else "**FAIL**")
        lines.append(f"| {row.protocol} | {row.model} | {row.quantity} | {row.measured} | {row.reference} | "
                     f"{row.tolerance} | {result} | {row.source} |")
    if failures:
        lines += ["", "## Checks that raised", ""]
        lines += [f"* `{name}`: {message}" for name, message in failures.items()]
    lines += ["", "## Notes", ""]
    lines += [f"* {note}" for note in NOTES]
    lines += ["", "## Wall time per check (s)", ""]
    lines += [f"* {name}: {seconds:.1f}" for name, seconds in timings.items()]
    lines += ["", "## Figures", ""]
    lines += [f"![{name}](validation/{name}.png)" for name in figures]
    return "\n".join(lines) + "\n"


@dataclass
class ValidationReport:
    """Rows, figures, wall times and failures of a validation run."""

    rows: list[Row]
    figures: dict
    timings: dict[str, float]
    failures: dict[str, str]

    @property
    def counts(self) -> dict[str, int]:
        """Numbers of passed, failed and reported-only rows, and of checks that raised."""
        return {
            "n_passed": sum(row.passed is True for row in self.rows),
            "n_failed": sum(row.passed is False for row in self.rows),
            "n_reported": sum(row.passed is None for row in self.rows),
            "n_errors": len(self.failures),
        }


def collect(checks: list[str] | None = None) -> ValidationReport:
    """Run the named checks (default: all of :data:`CHECKS`); a check that raises is reported, not fatal."""
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; expected names from {', '.join(CHECKS)}")
    report = ValidationReport(rows=[], figures={}, timings={}, failures={})
    for name in names:
        start = time.perf_counter()
        try:
            new_rows, figures = CHECKS[name]()
        except Exception as error:  # report and continue with the other checks
            report.failures[name] = f"{type(error).__name__}: {error}"
            new_rows, figures = [], {}
        report.timings[name] = time.perf_counter() - start
        report.rows += new_rows
        report.figures.update(figures)
    return report


def write_report(report: ValidationReport, out_dir: Path | str = "results") -> Path:
    """Write ``<out_dir>/VALIDATION.md`` and ``<out_dir>/validation/*.png``; returns the Markdown file."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    figure_dir = out_dir / "validation"
    figure_dir.mkdir(parents=True, exist_ok=True)
    for figure_name, figure in report.figures.items():
        figure.savefig(figure_dir / f"{figure_name}.png", dpi=110)
        plt.close(figure)
    path = out_dir / "VALIDATION.md"
    path.write_text(_markdown(report.rows, list(report.figures), report.timings, report.failures), encoding="utf-8")
    return path


def run_validation(out_dir: Path | str = "results", checks: list[str] | None = None) -> Path:
    """Run the validation checks and write ``<out_dir>/VALIDATION.md`` and ``<out_dir>/validation/*.png``.

    Parameters
    ----------
    out_dir : Path or str
    checks : list of str, optional
        Names from :data:`CHECKS` (default: all).

    Returns
    -------
    Path
        The Markdown file.
    """
    return write_report(collect(checks), out_dir)


@dataclass(frozen=True)
class ValidationParameters:
    """What ``bioneuro validate`` runs and where it writes VALIDATION.md."""

    checks: tuple = param((), help="names of the checks to run, comma-separated (default: all)")
    report_dir: str = param("results", help="folder receiving VALIDATION.md and validation/*.png")

    def __post_init__(self):
        unknown = [name for name in self.checks if name not in CHECKS]
        if unknown:
            raise ValueError(f"checks: unknown {unknown}; expected names from {', '.join(CHECKS)}")


def _execute(parameters: ValidationParameters, context) -> RunRecord:
    report = collect(list(parameters.checks) or None)
    path = write_report(report, parameters.report_dir)
    metrics = {**report.counts, "report": str(path)}
    metrics.update({f"wall_time_{name}_s": round(seconds, 2) for name, seconds in report.timings.items()})
    return RunRecord(kind="task", name="validate", metrics=metrics)


RUNNABLES = [
    Runnable(
        name="validate",
        kind="task",
        summary="run every protocol against its published or analytic reference; writes results/VALIDATION.md",
        parameters=ValidationParameters,
        execute=_execute,
    )
]
