"""Equations and builder of the Diehl & Cook (2015) network for chunked C++ standalone runs.

One compiled program simulates ``chunk_images`` *slots* of ``presentation_time + rest_time``. Everything
that differs between chunks (images, random key, learning on/off, retry-rule settings and the whole network
state) is passed as ``run_args``; everything in the generated code depends only on
:data:`~.parameters.STRUCTURE_FIELDS`. Inside the program:

* a one-neuron controller group ``dc_ctrl`` counts excitatory spikes, decides at the end of each
  presentation whether the image is accepted (>= ``min_spikes`` spikes, or ``max_retries`` reached) or
  repeated with a higher intensity, and advances the image index;
* at the start of each slot the input neurons read their rate from a 2-D ``TimedArray`` (images x pixels),
  and every excitatory neuron's input weights are rescaled to sum to ``weight_total``;
* input spikes follow the law of Brian's ``PoissonGroup`` (one Bernoulli trial of probability
  ``rate*dt`` per time step), generated as geometric gaps: each input neuron holds the step of its next
  spike and draws the following gap when it fires (one random number per spike instead of one per neuron
  and step); the uniforms come from a counter-based hash of (chunk key, neuron, time step), so that a
  chunk is a pure function of its ``run_args`` and a resumed run repeats an uninterrupted one exactly;
* the input synapses are laid out sorted by (input neuron, delay step) at run time
  (:func:`bioneuro.devices.runtime_post_indices`), so that a delayed spike touches consecutive synapses;
  the state is stored in connect() order (input-major, ``index = i*n + j``) and permuted on the way in
  and out;
* the presynaptic STDP trace of a synapse is ``exp((t_arrival - t)/tau_pre)`` of the last *arrival* of a
  delayed input spike (nearest-spike traces are set to 1 at each spike, so this is exact). Arrivals are not
  stored per synapse: each input neuron keeps a 32-step bit mask of its recent emissions and the step of the
  latest emission before them (:data:`HISTORY_RESET`), and the potentiation recovers a synapse's last
  arrival from them and the synapse's delay step (:func:`dc_last_emission`); the per-arrival synaptic code
  then only reads and writes the weight. The two postsynaptic traces live in the excitatory neurons.
"""

from __future__ import annotations

import dataclasses
import hashlib

import brian2 as b2
import numpy as np
from brian2 import Hz, ms, second
from brian2.units.fundamentalunits import DIMENSIONLESS

from bioneuro import devices

from .parameters import STRUCTURE_FIELDS, DiehlCookParameters

__all__ = [
    "EXC_EQS",
    "INH_EQS",
    "INPUT_EQS",
    "CTRL_EQS",
    "CTRL_STEP_CODE",
    "STDP_MODEL",
    "STDP_ON_PRE",
    "STDP_ON_POST",
    "N_INPUT",
    "NetworkHandles",
    "build_network",
    "structure_of",
    "trace_time_constant",
    "dc_gap",
    "fast_forward_code",
    "fast_forward_first_step",
    "FAST_FORWARD_BOUND",
]

N_INPUT = 784

EXC_EQS = """
dv/dt = ((v_rest_e - v) + ge*(E_exc - v) + gi*(E_inh_e - v)) / tau_e : volt (unless refractory)
dge/dt = -ge/tau_ge : 1
dgi/dt = -gi/tau_gi : 1
dtheta/dt = -plastic*theta/tau_theta : volt
dpost1/dt = -post1/tau_post1_euler : 1
dpost2/dt = -post2/tau_post2_euler : 1
wsum : 1
plastic : 1 (shared)
"""
# ``wsum`` first holds the sum of a neuron's input weights, then the factor that rescales them to
# ``weight_total`` (a neuron whose weights are all zero keeps them).
NORM_FACTOR_CODE = "wsum = 1 - plastic + plastic*weight_total/(wsum + int(wsum <= 0))"
EXC_THRESHOLD = "v > theta - theta_offset + v_thresh_e"
EXC_RESET = """
v = v_reset_e
theta += plastic*theta_plus
post1 = 1
post2 = 1
"""

# v of a refractory neuron back to its reset value (an exact select: no arithmetic on either value)
HOLD_CODE = "v = dc_select(not_refractory, v, {reset})"

INH_EQS = """
dv/dt = ((v_rest_i - v) + ge*(E_exc - v) + gi*(E_inh_i - v)) / tau_i : volt (unless refractory)
dge/dt = -ge/tau_ge : 1
dgi/dt = -gi/tau_gi : 1
"""

# Emission history of an input neuron, updated when it fires (resets run after the synaptic code of the
# step): bit k of ``hbits`` is an emission at step ``hstep - k`` (bit 0: the latest, at ``hstep``);
# ``hold`` is the latest emission that has left the 32-step window. For delays of at most
# parameters.HISTORY_STEPS steps, the last *arrival* at any synapse is recoverable from these three numbers
# (``dc_last_emission``).
HISTORY_EQS = """
hbits : integer
hstep : integer
hold : integer
"""
HISTORY_RESET = """
hold = dc_hist_old(hbits, hstep, hold, timestep(t, dt))
hbits = dc_hist_bits(hbits, hstep, timestep(t, dt))
hstep = timestep(t, dt)
"""

INPUT_EQS = """
rate : Hz
next_step : integer
last_step : integer (shared)
emitting = next_step <= clip(timestep(t, dt), -1, last_step) : boolean
img_idx : integer (linked)
intensity : 1 (linked)
n_avail : integer (linked)
rng_key : integer (shared)
""" + HISTORY_EQS
# ``next_step`` is the time step (of the chunk) of a neuron's next spike; ``last_step`` the last step of the
# current presentation. At the start of each slot (``t`` is the time of the network clock): the rate of the
# image to show, the step of the first spike and the presentation's last step. Stream ``i + N_INPUT`` of the
# hash keeps these draws apart from the ones taken at spikes (stream ``i``). The threshold compares each
# neuron's next step with one number per time step; on bioneuro's device the compiled program instead pops
# a calendar of the inputs due in the step (same events; bioneuro.devices.use_calendar_threshold).
INPUT_RATE_CODE = """
last_step = timestep(t, step_dt) + pres_steps - 1
rate = stim(img_idx*ms, i)*intensity*int(img_idx < n_avail)
next_step = timestep(t, step_dt) + dc_gap(rng_key, i + n_input, timestep(t, step_dt), rate*step_dt)
"""
INPUT_THRESHOLD = "emitting"
INPUT_RESET = "next_step = timestep(t, dt) + 1 + dc_gap(rng_key, i, timestep(t, dt), rate*dt)" + HISTORY_RESET

CTRL_EQS = """
img_idx : integer
n_avail : integer
intensity : 1
intensity0 : 1
intensity_step : 1
retries : integer
count : integer
step : integer
min_spikes : integer
max_retries : integer
n_forced : integer
n_shown : integer
ff_first : integer
ff_steps : integer
ff_skipped : integer
"""
# Runs at the end of every time step (one neuron: negligible cost). ``step`` counts time steps within the
# slot; the decision is taken when the presentation has just ended. ``count`` holds the excitatory spikes
# since the previous decision (the preceding rest and this presentation, as in the released code).
CTRL_STEP_CODE = """
step = step + 1
decide = int(step == pres_steps)*int(img_idx < n_avail)
enough = int(count >= min_spikes)
accept = decide*int(enough + int(retries >= max_retries) > 0)
again = decide - accept
n_forced = n_forced + accept*(1 - enough)
n_shown = n_shown + decide
img_idx = img_idx + accept
intensity = intensity + again*intensity_step - accept*(intensity - intensity0)
retries = (retries + again)*(1 - accept)
count = count*(1 - int(step == pres_steps))
ff_steps = int(step >= ff_first)*int(step < slot_steps)*(slot_steps - step)
step = step*int(step < slot_steps)
"""
# Rest fast-forward (bioneuro.devices.fast_forward; parameters.rest_fast_forward): from step ``ff_first`` of a
# slot on (after the last delayed input spike has arrived), ``ff_steps`` asks for the rest of the slot to be
# skipped; the compiled loop skips once every conductance is within FAST_FORWARD_BOUND and no neuron is
# refractory. Nothing fires then and every variable decays linearly: the closed forms below apply the
# ``ff_n`` skipped steps of each integration scheme (exactly, up to rounding, but for the conductances of at
# most FAST_FORWARD_BOUND that they neglect in v: a change below 1e-11 V, see the model docstring).
FAST_FORWARD_BOUND = 1e-9
# the skipped steps, as the closed forms of the excitatory and inhibitory neurons read them (from dc_ctrl)
FAST_FORWARD_LINK = "ff_n : integer (linked)\n"
CTRL_FAST_FORWARD = "step = (step + ff_steps)*int(step + ff_steps < slot_steps)"
# (variable, value it relaxes to or None for 0, decay rate per step): exact decays by exp(-rate) with
# exponential Euler (the conductances' time constants reproduce Euler's factors, see _decay_constants), or
# forward Euler's 1 - rate; theta decays only while learning (dtheta/dt = -plastic*theta/tau_theta)
_EXC_DECAYS = (("v", "v_rest_e", "dt/tau_e"), ("ge", None, "dt/tau_ge"), ("gi", None, "dt/tau_gi"),
               ("theta", None, "plastic*dt/tau_theta"), ("post1", None, "dt/tau_post1_euler"),
               ("post2", None, "dt/tau_post2_euler"))
_INH_DECAYS = (("v", "v_rest_i", "dt/tau_i"), ("ge", None, "dt/tau_ge"), ("gi", None, "dt/tau_gi"))


def fast_forward_code(decays, integration: str) -> str:
    """Abstract code that applies ``ff_n`` steps of free decay to each variable of ``decays``.

    ``decays`` holds (variable, rest value or None for 0, decay rate per step); ``integration`` is the
    group's method: ``"exponential_euler"`` decays by exp(-rate) per step, ``"euler"`` by 1 - rate.
    """
    lines = []
    for name, rest, rate in decays:
        factor = f"exp(-ff_n*{rate})" if integration == "exponential_euler" else f"(1 - {rate})**ff_n"
        lines.append(f"{name} = {rest} + ({name} - {rest})*{factor}" if rest else f"{name} = {name}*{factor}")
    return "\n".join(lines)

STDP_MODEL = """
w : 1
delay_step : integer (constant)
input_delay : second (constant)
"""
# Pre code runs when the delayed spike arrives: conductance first, then depression by the first
# postsynaptic trace (released code's sign). It reads and writes only the weight: this loop runs ~0.9
# million times per image and is limited by memory traffic (no per-synapse arrival store: see HISTORY_EQS).
STDP_ON_PRE = """
ge_post += w
w = clip(w - plastic_post*nu_pre*post1_post, 0, w_max)
"""
# post2_post is read before the neuron's reset sets it to 1 (synapses run before resets): ``post2before``.
# The presynaptic trace is exp(-k dt/tau_pre) for the k steps since the synapse's last arrival, the arrival
# of the input's latest emission at least ``delay_step`` steps ago (``emitting_pre``: the input fires in this
# step, which its history records only in its reset, after this code). ``dc_decay`` takes exp(-k r) from
# tables instead of calling exp() ~12,000 times per image.
STDP_ON_POST = """
w = clip(w + plastic_post*nu_post*dc_decay(timestep(t, dt) - delay_step - dc_last_emission(hbits_pre, hstep_pre, hold_pre, emitting_pre, timestep(t, dt), delay_step), dt/tau_pre)*post2_post, 0, w_max)
"""

_UNIFORM_CPP = """
static inline double dc_uniform(int32_t key, int32_t index, int64_t step)
{
    uint64_t z = ((uint64_t)(uint32_t)key << 32) ^ (uint64_t)(uint32_t)index;
    z = z * 0x9E3779B97F4A7C15ULL + (uint64_t)step * 0xD1B54A32D192ED03ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    z = (z + 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}
"""

# Number of failures before the next success of Bernoulli trials with probability p: floor(log U / log(1-p))
# with U uniform in (0, 1]; "never" (2**30 steps) for p <= 0.
_GAP_CPP = _UNIFORM_CPP + """
static inline int32_t dc_gap(int32_t key, int32_t index, int64_t step, double p)
{
    if (!(p > 0.0))
        return 1073741824;
    if (p >= 1.0)
        return 0;
    const double u = 1.0 - dc_uniform(key, index, step);
    const double gap = std::floor(std::log(u) / std::log1p(-p));
    return gap < 1073741824.0 ? (int32_t)gap : 1073741824;
}
"""


def _uniform_numpy(key, index, step):
    mask = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        key = np.asarray(key, dtype=np.int64).astype(np.uint32).astype(np.uint64)
        index = np.asarray(index, dtype=np.int64).astype(np.uint32).astype(np.uint64)
        step = np.asarray(step, dtype=np.int64).astype(np.uint64)
        z = (key << np.uint64(32)) ^ index
        z = (z * np.uint64(0x9E3779B97F4A7C15) + step * np.uint64(0xD1B54A32D192ED03)) & mask
        for _ in range(2):
            z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & mask
            z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & mask
            z = z ^ (z >> np.uint64(31))
            if _ == 0:
                z = (z + np.uint64(0x9E3779B97F4A7C15)) & mask
    return (z >> np.uint64(11)).astype(np.float64) / 9007199254740992.0


_NEVER = 1 << 30


def _gap_numpy(key, index, step, p):
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), np.broadcast(index, step, p).shape)
    u = 1.0 - _uniform_numpy(key, index, step) * np.ones(p.shape)
    gap = np.full(p.shape, float(_NEVER))
    some = (p > 0) & (p < 1)
    gap[some] = np.floor(np.log(u[some]) / np.log1p(-p[some]))
    gap[p >= 1] = 0.0
    return np.minimum(gap, _NEVER).astype(np.int32)


dc_gap = b2.Function(
    _gap_numpy,
    arg_units=[1, 1, 1, 1],
    return_unit=1,
    arg_types=["integer", "integer", "integer", "float"],
    return_type="integer",
    stateless=True,
)
dc_gap.implementations.add_implementation("cpp", _GAP_CPP, name="dc_gap")


def _select_numpy(condition, if_true, if_false):
    return np.where(np.asarray(condition, dtype=bool), if_true, if_false)


dc_select = b2.Function(
    _select_numpy, arg_units=[1, None, "a"], arg_names=["condition", "a", "b"],
    return_unit=lambda u_condition, u_a, u_b: u_a, arg_types=["boolean", "any", "any"],
    return_type="highest", stateless=True,
)
dc_select.implementations.add_implementation(
    "cpp",
    "template <typename T> static inline T dc_select(const bool c, const T a, const T b) { return c ? a : b; }",
    name="dc_select",
)

# Emission history (HISTORY_EQS). The C++ and numpy versions compute the same integers. Each snippet
# carries the (guarded) trailing-zero count it needs, since a code object may include one or several.
_CTZ_CPP = """
#ifndef BIONEURO_DC_CTZ32
#define BIONEURO_DC_CTZ32
static inline int dc_ctz32(uint32_t x)  // x != 0
{
#if defined(__GNUC__)
    return __builtin_ctz(x);
#else
    int n = 0;
    while (!(x & 1u)) { x >>= 1; n++; }
    return n;
#endif
}
#endif
"""
_HIST_OLD_CPP = _CTZ_CPP + """
static inline int32_t dc_hist_old(const int32_t bits, const int32_t hstep, const int32_t hold, const int32_t step)
{
    // the latest of the emissions that a new emission at ``step`` pushes out of the 32-step window
    const int64_t shift = (int64_t)step - (int64_t)hstep;
    const uint32_t b = (uint32_t)bits;
    if (shift <= 0)
        return hold;
    if (shift >= 32)
        return b ? (int32_t)((int64_t)hstep - dc_ctz32(b)) : hold;
    const uint32_t out = b >> (32 - shift);
    return out ? (int32_t)((int64_t)hstep - (32 - shift) - dc_ctz32(out)) : hold;
}
"""
_HIST_BITS_CPP = """
static inline int32_t dc_hist_bits(const int32_t bits, const int32_t hstep, const int32_t step)
{
    const int64_t shift = (int64_t)step - (int64_t)hstep;
    if (shift >= 32)
        return 1;
    if (shift <= 0)
        return (int32_t)((uint32_t)bits | 1u);
    return (int32_t)(((uint32_t)bits << shift) | 1u);
}
"""
_LAST_EMISSION_CPP = _CTZ_CPP + """
static inline int32_t dc_last_emission(const int32_t bits, const int32_t hstep, const int32_t hold,
                                       const bool now, const int32_t step, const int32_t delay)
{
    // latest emission at or before ``step - delay`` (``now``: the neuron also fires at ``step``)
    if (now && delay <= 0)
        return step;
    int64_t m = (int64_t)delay - ((int64_t)step - (int64_t)hstep);
    if (m < 0)
        m = 0;
    if (m < 32)
    {
        const uint32_t masked = (uint32_t)bits >> m;
        if (masked)
            return (int32_t)((int64_t)hstep - m - dc_ctz32(masked));
    }
    return hold;
}
"""


def _ctz_numpy(x: np.ndarray) -> np.ndarray:
    """Trailing zero bits of non-zero uint32 values."""
    low = (x & (~x + np.uint64(1))) & np.uint64(0xFFFFFFFF)  # lowest set bit
    return np.round(np.log2(np.maximum(low, 1).astype(np.float64))).astype(np.int64)


def _int_args(*values):
    """(broadcast shape, the values as flat int64 arrays of that shape)."""
    shape = np.broadcast(*values).shape
    return shape, [np.array(np.broadcast_to(v, shape), dtype=np.int64).reshape(-1) for v in values]


def _hist_old_numpy(bits, hstep, hold, step):
    shape, (bits, hstep, hold, step) = _int_args(bits, hstep, hold, step)
    shift = step - hstep
    b = (bits & 0xFFFFFFFF).astype(np.uint64)
    result = hold.copy()
    whole = (shift >= 32) & (b != 0)
    result[whole] = hstep[whole] - _ctz_numpy(b[whole])
    part = (shift > 0) & (shift < 32)
    out = np.zeros_like(b)
    out[part] = b[part] >> (32 - shift[part]).astype(np.uint64)
    some = part & (out != 0)
    result[some] = hstep[some] - (32 - shift[some]) - _ctz_numpy(out[some])
    return result.astype(np.int32).reshape(shape)


def _hist_bits_numpy(bits, hstep, step):
    shape, (bits, hstep, step) = _int_args(bits, hstep, step)
    shift = step - hstep
    b = (bits & 0xFFFFFFFF).astype(np.uint64)
    new = b | np.uint64(1)
    part = (shift > 0) & (shift < 32)
    new[part] = ((b[part] << shift[part].astype(np.uint64)) & np.uint64(0xFFFFFFFF)) | np.uint64(1)
    new[shift >= 32] = 1
    return new.astype(np.uint32).view(np.int32).reshape(shape)


def _last_emission_numpy(bits, hstep, hold, now, step, delay):
    shape, (bits, hstep, hold, now, step, delay) = _int_args(bits, hstep, hold, now, step, delay)
    now = now != 0
    m = np.maximum(delay - (step - hstep), 0)
    b = (bits & 0xFFFFFFFF).astype(np.uint64)
    masked = np.zeros_like(b)
    inside = m < 32
    masked[inside] = b[inside] >> m[inside].astype(np.uint64)
    result = hold.copy()
    found = masked != 0
    result[found] = hstep[found] - m[found] - _ctz_numpy(masked[found])
    current = now & (delay <= 0)
    result[current] = step[current]
    return result.astype(np.int32).reshape(shape)


def _history_function(numpy_version, cpp, name, arg_types):
    function = b2.Function(
        numpy_version, arg_units=[1] * len(arg_types), return_unit=1, arg_types=arg_types,
        return_type="integer", stateless=True,
    )
    function.implementations.add_implementation("cpp", cpp, name=name)
    return function


dc_hist_old = _history_function(_hist_old_numpy, _HIST_OLD_CPP, "dc_hist_old", ["integer"] * 4)
dc_hist_bits = _history_function(_hist_bits_numpy, _HIST_BITS_CPP, "dc_hist_bits", ["integer"] * 3)
dc_last_emission = _history_function(
    _last_emission_numpy, _LAST_EMISSION_CPP, "dc_last_emission",
    ["integer", "integer", "integer", "boolean", "integer", "integer"],
)
_HISTORY_CPP = _HIST_OLD_CPP + _HIST_BITS_CPP + _LAST_EMISSION_CPP  # guard: dc_ctz32 once

# exp(-k*r) for integer k >= 0 as exp(-(k & 1023)*r) * exp(-(k >> 10)*1024*r) from two tables (filled on the
# first call and whenever r changes): within ~2 ulp of exp(-k*r) (each entry is glibc's exp, the product
# rounds once more); 0 where exp(-k*r) underflows (k*r > 745.2).
_DECAY_CPP = """
static inline double dc_decay(const int32_t k, const double r)
{
    static double rate = -1.0;
    static double low[1024];
    static double high[64];
    if (r != rate)
    {
        for (int i = 0; i < 1024; i++)
            low[i] = exp(-(double)i * r);
        for (int i = 0; i < 64; i++)
            high[i] = exp(-(double)(i * 1024) * r);
        rate = r;
    }
    if ((double)k * r > 745.2)
        return 0.0;  // exp() underflows to 0 there
    if (k < 0 || k >= 65536)
        return exp(-(double)k * r);
    return low[k & 1023] * high[k >> 10];
}
"""


def _decay_numpy(k, r):
    shape, (k,) = _int_args(k)
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), shape).reshape(-1)
    low = np.exp(-(k & 1023).astype(np.float64) * r)
    high = np.exp(-((k >> 10) * 1024).astype(np.float64) * r)
    value = low * high
    direct = (k < 0) | (k >= 65536)
    value[direct] = np.exp(-k[direct].astype(np.float64) * r[direct])
    value[k.astype(np.float64) * r > 745.2] = 0.0
    return value.reshape(shape)


dc_decay = b2.Function(
    _decay_numpy, arg_units=[1, 1], return_unit=1, arg_types=["integer", "float"], return_type="float",
    stateless=True,
)
dc_decay.implementations.add_implementation("cpp", _DECAY_CPP, name="dc_decay")


def trace_time_constant(tau: b2.Quantity, dt: b2.Quantity) -> b2.Quantity:
    """Time constant that makes a forward-Euler step decay by exactly ``exp(-dt/tau)``.

    The neuron groups are integrated with forward Euler, as in the released code; the STDP traces there
    decay exactly, which Euler reproduces with ``dt / (1 - exp(-dt/tau))``.
    """
    return dt / (1 - np.exp(-float(dt / tau)))


def euler_factor_time_constant(tau: b2.Quantity, dt: b2.Quantity) -> b2.Quantity:
    """Time constant whose exact decay over ``dt`` equals forward Euler's factor ``1 - dt/tau``."""
    return -dt / np.log(1 - float(dt / tau))


def _decay_constants(p: DiehlCookParameters) -> dict:
    """Time constants of the decaying variables for the chosen integration.

    With Euler (released code): the conductances decay by ``1 - dt/tau`` per step, the STDP traces by
    exactly ``exp(-dt/tau)`` (see :func:`trace_time_constant`). With exponential Euler every decay is exact,
    so the conductances get the time constants that reproduce Euler's per-step factors.
    """
    if p.membrane_integration == "euler":
        return {
            "tau_ge": p.tau_ge, "tau_gi": p.tau_gi,
            "tau_post1_euler": trace_time_constant(p.tau_post1, p.dt),
            "tau_post2_euler": trace_time_constant(p.tau_post2, p.dt),
        }
    return {
        "tau_ge": euler_factor_time_constant(p.tau_ge, p.dt),
        "tau_gi": euler_factor_time_constant(p.tau_gi, p.dt),
        "tau_post1_euler": p.tau_post1, "tau_post2_euler": p.tau_post2,
    }


def structure_fields(params: DiehlCookParameters) -> dict[str, str]:
    """The values of :data:`~.parameters.STRUCTURE_FIELDS` as strings; ``theta_plus`` as the value in effect
    (the size rule of ``scaled``), so that a rule and its written-out value are one structure."""
    fields = {name: str(getattr(params, name)) for name in STRUCTURE_FIELDS}
    fields["theta_plus"] = str(params.theta_increment)
    return fields


def structure_of(params: DiehlCookParameters) -> dict[str, str]:
    """The fields that enter the generated code, as strings, and a hash of the code itself (the build key)."""
    code_text = "\n".join([EXC_EQS, EXC_THRESHOLD, EXC_RESET, INH_EQS, INPUT_EQS, INPUT_RATE_CODE,
                           INPUT_THRESHOLD, INPUT_RESET, CTRL_EQS, CTRL_STEP_CODE, STDP_MODEL,
                           STDP_ON_PRE, STDP_ON_POST, NORM_FACTOR_CODE, HOLD_CODE, _GAP_CPP, _HISTORY_CPP,
                           CTRL_FAST_FORWARD, FAST_FORWARD_LINK, str(_EXC_DECAYS), str(_INH_DECAYS), str(FAST_FORWARD_BOUND),
                           _DECAY_CPP,
                           devices.queue_header_text(), devices.vector_math_header_text()])
    return structure_fields(params) | {
        "brian2": b2.__version__,
        "code": "diehl-cook-v5",
        # any edit of the equations gives a new build folder (a stale program is never reused)
        "equations_sha256": hashlib.sha256(code_text.encode()).hexdigest()[:16],
    }


@dataclasses.dataclass
class NetworkHandles:
    """Brian2 objects of the built network (standalone device)."""

    network: b2.Network
    inp: b2.NeuronGroup
    exc: b2.NeuronGroup
    inh: b2.NeuronGroup
    ctrl: b2.NeuronGroup
    s_in: b2.Synapses
    s_ei: b2.Synapses
    s_ie: b2.Synapses
    s_count: b2.Synapses
    stim: b2.TimedArray
    spikes: b2.SpikeMonitor
    slots: b2.StateMonitor
    n_slots: int
    slot_duration: b2.Quantity


def namespace(params: DiehlCookParameters) -> dict:
    """Symbol values of the equation strings above."""
    p = params
    return {
        "v_rest_e": p.v_rest_exc, "v_reset_e": p.v_reset_exc, "v_thresh_e": p.v_threshold_exc,
        "tau_e": p.tau_membrane_exc, "theta_offset": p.theta_offset, "theta_plus": p.theta_increment,
        "tau_theta": p.tau_theta, "v_rest_i": p.v_rest_inh, "v_reset_i": p.v_reset_inh,
        "v_thresh_i": p.v_threshold_inh, "tau_i": p.tau_membrane_inh, "E_exc": p.E_exc,
        "E_inh_e": p.E_inh_exc, "E_inh_i": p.E_inh_inh,
        **_decay_constants(p),
        "tau_pre": p.tau_pre, "nu_pre": p.nu_pre, "nu_post": p.nu_post, "w_max": p.w_max,
        "w_ei": p.w_exc_inh, "w_ie": p.w_inh_exc, "weight_total": p.weight_total,
        "pres_steps": p.presentation_steps,
        "slot_steps": p.slot_steps,
        "dc_gap": dc_gap, "dc_select": dc_select, "dc_hist_old": dc_hist_old,
        "dc_hist_bits": dc_hist_bits, "dc_last_emission": dc_last_emission, "dc_decay": dc_decay,
        "n_input": N_INPUT, "step_dt": p.dt, "ms": ms, "Hz": Hz,
    }


def build_network(params: DiehlCookParameters) -> NetworkHandles:
    """Create the network on the current (standalone) device; every object has a fixed name.

    Initial values are placeholders: every chunk sets the full state through ``run_args``.
    """
    p = params
    ns = namespace(p)
    n = p.n_neurons
    n_slots = p.chunk_images
    slot_duration = p.presentation_time + p.rest_time
    b2.defaultclock.dt = p.dt
    slot_clock = b2.Clock(dt=slot_duration, name="dc_slot_clock")

    stim = b2.TimedArray(np.zeros((n_slots, N_INPUT)) * Hz, dt=1 * ms, name="stim")
    ns["stim"] = stim

    ctrl = b2.NeuronGroup(1, CTRL_EQS, namespace=ns, name="dc_ctrl")
    ctrl.run_regularly(CTRL_STEP_CODE, when="end", name="dc_ctrl_step")

    inp = b2.NeuronGroup(
        N_INPUT, INPUT_EQS, threshold=INPUT_THRESHOLD, reset=INPUT_RESET, namespace=ns, name="dc_input"
    )
    zeros = np.zeros(N_INPUT, dtype=int)
    inp.img_idx = b2.linked_var(ctrl, "img_idx", index=zeros)
    inp.intensity = b2.linked_var(ctrl, "intensity", index=zeros)
    inp.n_avail = b2.linked_var(ctrl, "n_avail", index=zeros)
    inp.run_regularly(INPUT_RATE_CODE, clock=slot_clock, when="start", order=0, name="dc_input_rate")
    # next_step changes only in the reset of the inputs that fire and in the slot's first step, where
    # last_step changes too: the compiled threshold may pop a calendar of firing steps (same events)
    devices.use_calendar_threshold(inp)

    # With exponential Euler, v is integrated in every step and then held at its reset value while the
    # neuron is refractory (HOLD_CODE, right after the state update): the same values as Brian2's
    # "(unless refractory)", whose exp inside a branch the compiler does not vectorise.
    separate_hold = p.membrane_integration == "exponential_euler"
    exc_equations = EXC_EQS
    if separate_hold or not p.clamp_refractory_v:
        exc_equations = EXC_EQS.replace(" (unless refractory)", "", 1)
    exc = b2.NeuronGroup(
        n, exc_equations + FAST_FORWARD_LINK, threshold=EXC_THRESHOLD, reset=EXC_RESET, refractory=p.refractory_exc,
        method=p.membrane_integration, namespace=ns, name="dc_exc",
    )
    if separate_hold and p.clamp_refractory_v:
        exc.run_regularly(HOLD_CODE.format(reset="v_reset_e"), when="groups", order=1, name="dc_exc_hold")
    # The inhibitory neurons always use the released forward Euler (stable for them: model docstring,
    # deviation 8), with the released conductance time constants.
    inh = b2.NeuronGroup(
        n, INH_EQS + FAST_FORWARD_LINK, threshold="v > v_thresh_i", reset="v = v_reset_i", refractory=p.refractory_inh,
        method="euler", namespace={**ns, "tau_ge": p.tau_ge, "tau_gi": p.tau_gi}, name="dc_inh",
    )

    # rest fast-forward (CTRL_STEP_CODE): closed forms on the bioneuro device, nothing elsewhere
    exc.ff_n = b2.linked_var(ctrl, "ff_steps", index=np.zeros(n, dtype=int))
    inh.ff_n = b2.linked_var(ctrl, "ff_steps", index=np.zeros(n, dtype=int))
    fast_forward_ops = devices.fast_forward(
        (ctrl, "ff_steps"),
        [(ctrl, CTRL_FAST_FORWARD), (exc, fast_forward_code(_EXC_DECAYS, p.membrane_integration)),
         (inh, fast_forward_code(_INH_DECAYS, "euler"))],
        quiet=[(exc, "ge", FAST_FORWARD_BOUND), (exc, "gi", FAST_FORWARD_BOUND), (inh, "ge", FAST_FORWARD_BOUND),
               (inh, "gi", FAST_FORWARD_BOUND), (exc, "not_refractory", None), (inh, "not_refractory", None)],
        name="dc_rest", counter=(ctrl, "ff_skipped"),
    )

    s_in = b2.Synapses(
        inp, exc, STDP_MODEL, on_pre=STDP_ON_PRE, on_post=STDP_ON_POST, namespace=ns, name="dc_input_exc"
    )
    s_in.connect()
    # Normalisation before each presentation: zero the sums, accumulate, one factor per neuron, rescale
    # (learning only; the factor is 1 otherwise).
    exc.run_regularly("wsum = 0", clock=slot_clock, when="start", order=1, name="dc_norm_zero")
    s_in.run_regularly("wsum_post += w", clock=slot_clock, when="start", order=2, name="dc_norm_sum")
    exc.run_regularly(NORM_FACTOR_CODE, clock=slot_clock, when="start", order=3, name="dc_norm_factor")
    s_in.run_regularly("w = w*wsum_post", clock=slot_clock, when="start", order=4, name="dc_norm_scale")

    s_ei = b2.Synapses(exc, inh, on_pre="ge_post += w_ei", namespace=ns, name="dc_exc_inh")
    s_ei.connect(j="i")
    s_ie = b2.Synapses(inh, exc, on_pre="gi_post += w_ie", namespace=ns, name="dc_inh_exc")
    s_ie.connect(condition="i != j")
    s_count = b2.Synapses(exc, ctrl, on_pre="count_post += 1", name="dc_exc_count")
    s_count.connect()

    spikes = b2.SpikeMonitor(exc, record=True, name="dc_exc_spikes")
    slots = b2.StateMonitor(
        ctrl, ["img_idx"], record=[0], clock=slot_clock, when="start", order=-1, name="dc_slots"
    )
    # Values from run_args are applied here, then the delay-sorted layout of the input synapses (the
    # run_args of s_in are already in that layout), so that the delays below are taken from them.
    b2.get_device().apply_run_args()
    devices.runtime_post_indices(s_in)
    s_in.delay = "input_delay"
    network = b2.Network(
        ctrl, inp, exc, inh, s_in, s_ei, s_ie, s_count, spikes, slots, *fast_forward_ops, name="dc_network"
    )
    network.run(n_slots * slot_duration)
    return NetworkHandles(
        network=network, inp=inp, exc=exc, inh=inh, ctrl=ctrl, s_in=s_in, s_ei=s_ei, s_ie=s_ie,
        s_count=s_count, stim=stim, spikes=spikes, slots=slots, n_slots=n_slots,
        slot_duration=slot_duration,
    )


#: Per-neuron state variables carried from chunk to chunk (times are shifted by the chunk duration).
EXC_STATE = ("v", "ge", "gi", "theta", "post1", "post2", "lastspike", "not_refractory")
INH_STATE = ("v", "ge", "gi", "lastspike", "not_refractory")
CTRL_STATE = ("intensity", "retries", "count", "n_forced", "n_shown")


def input_layout(params: DiehlCookParameters, delay: np.ndarray) -> np.ndarray:
    """Delay-sorted layout of the input synapses for ``delay`` (seconds, connect() order).

    Returns ``order``: position ``k`` of the compiled program's synapse arrays holds synapse ``order[k]``
    of the connect() order (see :func:`bioneuro.devices.delay_sorted_order`).
    """
    n = params.n_neurons
    pre = np.repeat(np.arange(N_INPUT), n)
    post = np.tile(np.arange(n), N_INPUT)
    return devices.delay_sorted_order(pre, post, delay_steps(delay, float(params.dt)))


def layout_post_indices(params: DiehlCookParameters, order: np.ndarray) -> np.ndarray:
    """Postsynaptic index of every input synapse in the layout ``order`` (int32, for the program)."""
    return np.tile(np.arange(params.n_neurons, dtype=np.int32), N_INPUT)[order]


def read_state(handles: NetworkHandles, order: np.ndarray, delay: np.ndarray) -> dict[str, np.ndarray]:
    """Plain arrays (SI values) of the state at the end of a chunk, times relative to the next chunk.

    ``order`` is the layout the chunk ran with (:func:`input_layout`) for the input delays ``delay`` (s,
    connect() order, unchanged by a chunk); synapse values are returned in connect() order.
    """
    shift = float(handles.n_slots * handles.slot_duration)
    state: dict[str, np.ndarray] = {}
    for prefix, group, names in (("exc", handles.exc, EXC_STATE), ("inh", handles.inh, INH_STATE)):
        for name in names:
            value = np.asarray(getattr(group, name + "_")[:]).copy()
            if name == "lastspike":
                value = value - shift
            state[f"{prefix}.{name}"] = value
    for name in CTRL_STATE:
        state[f"ctrl.{name}"] = np.asarray(getattr(handles.ctrl, name + "_")[:]).copy()
    state["ctrl.img_idx"] = np.asarray(handles.ctrl.img_idx_[:]).copy()
    w = np.asarray(handles.s_in.w_[:])
    state["syn.w"] = np.empty(w.shape)
    state["syn.w"][order] = w
    # A chunk ends with a rest longer than any delay: every spike has arrived, and the last arrival at a
    # synapse is its input's latest emission plus the synapse's delay.
    dt = float(handles.exc.clock.dt)
    history = [np.asarray(getattr(handles.inp, name + "_")[:]) for name in ("hbits", "hstep", "hold")]
    end_step = int(round(shift / dt))
    emission = _last_emission_numpy(*history, False, end_step, 0).astype(np.int64)
    arrival = np.repeat(emission, len(handles.exc)) + delay_steps(delay, dt)
    state["syn.tarr"] = arrival * dt - shift  # arrival time in s, relative to the next chunk
    state["syn.delay"] = np.asarray(delay)
    return state


def state_run_args(handles: NetworkHandles, state: dict[str, np.ndarray], order: np.ndarray) -> dict:
    """``run_args`` that load ``state`` (from :func:`read_state` or :func:`initial_state`).

    Synapse values of ``state`` are in connect() order; they are passed in the layout ``order``.
    """
    args = {}
    for prefix, group, names in (("exc", handles.exc, EXC_STATE), ("inh", handles.inh, INH_STATE)):
        for name in names:
            view = getattr(group, name)
            value = state[f"{prefix}.{name}"]
            dim = group.variables[name].dim
            args[view] = b2.Quantity(value, dim=dim) if dim is not DIMENSIONLESS else value
    for name in CTRL_STATE:
        args[getattr(handles.ctrl, name)] = state[f"ctrl.{name}"]
    args[handles.s_in.w] = state["syn.w"][order]
    args[handles.s_in.input_delay] = state["syn.delay"][order] * second
    dt = float(handles.exc.clock.dt)
    steps = delay_steps(state["syn.delay"], dt)
    args[handles.s_in.delay_step] = steps[order].astype(np.int32)
    # Each input's last emission is its synapses' last arrival minus their delay (the same for all of them
    # once the input has fired; before that, arrivals lie far in the past: -1e4 s, clipped at -1e5 s, where
    # the trace exp(-1e5 s / tau_pre) is 0 either way, to stay within int32). It starts the history.
    arrival = np.round(np.maximum(state["syn.tarr"], -1e5) / dt).astype(np.int64)
    emission = (arrival - steps).reshape(N_INPUT, -1).max(axis=1).astype(np.int32)
    args[handles.inp.hbits] = np.zeros(N_INPUT, dtype=np.int32)
    args[handles.inp.hstep] = emission
    args[handles.inp.hold] = emission
    return args


def fast_forward_first_step(params: DiehlCookParameters, delay: np.ndarray) -> int:
    """First step counter of a slot at which the rest may be skipped (``ctrl.ff_first``).

    The last input spike of a presentation leaves at the slot's step ``pres_steps - 1`` and arrives at most
    the longest delay later; from the end of that step on no synaptic event is queued. Without
    ``rest_fast_forward`` the slot length: never.
    """
    p = params
    if not p.rest_fast_forward:
        return p.slot_steps
    longest = int(delay_steps(delay, float(p.dt)).max(initial=0))
    return min(p.presentation_steps + longest + 1, p.slot_steps)


def delay_steps(delay: np.ndarray, dt: float) -> np.ndarray:
    """Delays (s) in time steps, rounded as the spike queue rounds them."""
    return np.floor(np.asarray(delay) / dt + 0.5).astype(np.int64)


def initial_state(params: DiehlCookParameters, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """State before training: random weights 0.3*(U[0,1)+0.01), delays U[0, max_delay], theta 20 mV.

    Membrane potentials start 40 mV below rest, as in the released code.
    """
    p = params
    n = p.n_neurons
    n_syn = N_INPUT * n
    # Synapses are created by connect() in row order of (pre i, post j): index = i*n + j.
    w = p.w_init_scale * (rng.random((N_INPUT, n)) + 0.01)
    delay = rng.uniform(0.0, float(p.max_delay), size=n_syn)
    return {
        "exc.v": np.full(n, float(p.v_rest_exc) - 0.040),
        "exc.ge": np.zeros(n), "exc.gi": np.zeros(n),
        "exc.theta": np.full(n, float(p.theta_init)),
        "exc.post1": np.zeros(n), "exc.post2": np.zeros(n),
        "exc.lastspike": np.full(n, -1e4), "exc.not_refractory": np.ones(n, dtype=bool),
        "inh.v": np.full(n, float(p.v_rest_inh) - 0.040),
        "inh.ge": np.zeros(n), "inh.gi": np.zeros(n),
        "inh.lastspike": np.full(n, -1e4), "inh.not_refractory": np.ones(n, dtype=bool),
        "ctrl.intensity": np.array([p.intensity]), "ctrl.retries": np.zeros(1, dtype=np.int32),
        "ctrl.count": np.zeros(1, dtype=np.int32), "ctrl.n_forced": np.zeros(1, dtype=np.int32),
        "ctrl.n_shown": np.zeros(1, dtype=np.int32), "ctrl.img_idx": np.zeros(1, dtype=np.int32),
        "syn.w": w.ravel(), "syn.tarr": np.full(n_syn, -1e4), "syn.delay": delay,
    }
