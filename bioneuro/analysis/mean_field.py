"""Diffusion (Siegert) mean-field theory of leaky integrate-and-fire neurons.

A LIF neuron ``tau dV/dt = -V + mu + sigma sqrt(tau) xi(t)`` (white noise ``xi``), threshold ``theta``, reset
``V_r`` and absolute refractory period ``t_ref`` fires at the stationary rate (Siegert 1951; Amit & Brunel
1997; Brunel 2000, eq. 21)

``1 / nu = t_ref + tau sqrt(pi) int_{(V_r - mu)/sigma}^{(theta - mu)/sigma} exp(u^2) (1 + erf u) du``.

In a sparse network of such neurons receiving ``C_E`` excitatory and ``C_I = gamma C_E`` inhibitory inputs
of efficacy ``J`` and ``-g J`` (delta synapses, PSP jump in volt) plus ``C_E`` external Poisson inputs at
``nu_ext``, the input statistics are (Brunel 2000, eqs. 4-5)

``mu = C_E J tau (nu_ext + nu (1 - g gamma))``, ``sigma^2 = J^2 C_E tau (nu_ext + nu (1 + g^2 gamma))``,

and the stationary rate of the asynchronous state solves ``nu = phi(mu(nu), sigma(nu))``
(:func:`brunel_rate`). Functions take plain SI numbers or Brian2 quantities (converted at the boundary) and
return floats in SI units (``*_Hz`` in hertz). Nothing here imports Brian2.

References
----------
Siegert AJF (1951) On the first passage time probability problem. Phys Rev 81:617-623.
Amit DJ, Brunel N (1997) Model of global spontaneous activity and local structured activity during delay
periods in the cerebral cortex. Cereb Cortex 7:237-252.
Brunel N (2000) Dynamics of sparsely connected networks of excitatory and inhibitory spiking neurons.
J Comput Neurosci 8:183-208.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import erfcx

from bioneuro.analysis._units import _convert, as_seconds

__all__ = ["siegert_rate", "BrunelNetworkMoments", "brunel_input_moments", "brunel_rate"]


def _volts(value, name: str) -> float:
    """A potential in volt: a Brian2 quantity, or a float already in volt."""
    number = float(_convert(value, name, "m^2 kg s^-3 A^-1", "V", "potential").reshape(()))
    if not np.isfinite(number):
        raise ValueError(f"{name} = {value!r} must be finite")
    return number


def siegert_rate(mu, sigma, membrane_time_constant, threshold, reset, refractory_period) -> float:
    """Stationary firing rate (hertz) of a LIF neuron driven by white noise (Siegert formula).

    Parameters
    ----------
    mu : float or Quantity [volt]
        Mean input (the free membrane potential, measured from the leak potential).
    sigma : float or Quantity [volt]
        Standard deviation of the input, positive.
    membrane_time_constant : float [s] or Quantity [second]
    threshold, reset : float or Quantity [volt]
        Threshold and reset potential, measured from the leak potential like ``mu``.
    refractory_period : float [s] or Quantity [second]

    Returns
    -------
    float
        Rate in hertz.
    """
    mu, sigma = _volts(mu, "mu"), _volts(sigma, "sigma")
    theta, v_r = _volts(threshold, "threshold"), _volts(reset, "reset")
    tau = as_seconds(membrane_time_constant, "membrane_time_constant")
    t_ref = as_seconds(refractory_period, "refractory_period")
    if not sigma > 0 or not tau > 0 or t_ref < 0 or not theta > v_r:
        raise ValueError(
            f"expected sigma > 0, tau > 0, t_ref >= 0 and threshold > reset; got sigma={sigma}, tau={tau}, "
            f"t_ref={t_ref}, threshold={theta}, reset={v_r}"
        )
    lower, upper = (v_r - mu) / sigma, (theta - mu) / sigma
    if upper > 26:  # exp(u^2) overflows; the rate is below 1e-290 Hz
        return 0.0
    # exp(u^2) (1 + erf u) = erfcx(-u), finite for negative u where the naive product underflows
    integral, _ = quad(lambda u: erfcx(-u), lower, upper, limit=200)
    return 1.0 / (t_ref + tau * np.sqrt(np.pi) * integral)


@dataclass(frozen=True)
class BrunelNetworkMoments:
    """Parameters of Brunel's (2000) model A network in SI units (volt, second, hertz).

    Attributes
    ----------
    n_exc_inputs : int
        ``C_E``.
    inhibitory_fraction : float
        ``gamma = C_I / C_E``.
    efficacy : float
        ``J`` (volt).
    relative_inhibition : float
        ``g``.
    external_rate : float
        ``nu_ext`` (hertz) of each of the ``C_E`` external inputs.
    membrane_time_constant, refractory_period : float
        ``tau``, ``tau_rp`` (second).
    threshold, reset : float
        ``theta``, ``V_r`` (volt, from rest).
    """

    n_exc_inputs: int
    inhibitory_fraction: float
    efficacy: float
    relative_inhibition: float
    external_rate: float
    membrane_time_constant: float
    refractory_period: float
    threshold: float
    reset: float


def brunel_input_moments(network: BrunelNetworkMoments, rate: float) -> tuple[float, float]:
    """``(mu, sigma)`` in volt of the input to a neuron when the network fires at ``rate`` hertz (Brunel 2000,
    eqs. 4-5)."""
    c, gamma, j, g = network.n_exc_inputs, network.inhibitory_fraction, network.efficacy, network.relative_inhibition
    tau, nu_ext = network.membrane_time_constant, network.external_rate
    mu = c * j * tau * (nu_ext + rate * (1 - g * gamma))
    variance = j**2 * c * tau * (nu_ext + rate * (1 + g**2 * gamma))
    return mu, float(np.sqrt(variance))


def brunel_rate(network: BrunelNetworkMoments, *, tolerance: float = 1e-10) -> float:
    """Self-consistent stationary rate (hertz) of the asynchronous state of Brunel's network.

    Solves ``nu = phi(mu(nu), sigma(nu))`` with Brent's method on ``[0, 1 / tau_rp)``. For inhibition-dominated
    networks (``g gamma > 1``) the right-hand side decreases with ``nu`` and the root is unique.

    Parameters
    ----------
    network : BrunelNetworkMoments
    tolerance : float
        Absolute tolerance on the rate (hertz).

    Returns
    -------
    float
    """

    def mismatch(rate):
        mu, sigma = brunel_input_moments(network, rate)
        return siegert_rate(mu, sigma, network.membrane_time_constant, network.threshold, network.reset,
                            network.refractory_period) - rate

    top = (1 / network.refractory_period if network.refractory_period > 0 else 1e4) * (1 - 1e-9)
    if mismatch(0.0) <= 0:
        return 0.0
    if mismatch(top) > 0:
        raise ValueError("no self-consistent rate below the maximal rate 1 / t_ref; the network saturates")
    return float(brentq(mismatch, 0.0, top, xtol=tolerance))
