"""Synapse models for Brian2: static, STDP (pair, triplet, Diehl & Cook, Masquelier & Thorpe) and
Tsodyks-Markram short-term plasticity.

Each model is a frozen dataclass with an ``equations(target_expression, formulation)`` method
returning Brian2 strings plus namespace (:class:`SynapseEquations`); :func:`make_synapses` builds
the ``brian2.Synapses`` object.
"""

from ._base import FORMULATIONS, PAIRINGS, SynapseEquations
from .diehl_cook import DIEHL_COOK_2015, DiehlCookSTDP
from .factory import SynapseModel, make_synapses
from .masquelier import KHERADPISHEH_2018, MASQUELIER_THORPE_2007, MasquelierThorpeSTDP
from .short_term import (
    DEPRESSING,
    FACILITATING,
    MAASS_2002_EE,
    MAASS_2002_EI,
    MAASS_2002_IE,
    MAASS_2002_II,
    TsodyksMarkram,
)
from .static import DELTA_TARGET, StaticSynapse, target_expression_for
from .stdp_pair import BI_POO_1998, PAIR_PAIRINGS, SONG_MILLER_ABBOTT_2000, PairSTDP
from .stdp_triplet import (
    PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL,
    PFISTER_GERSTNER_HIPPOCAMPAL_NEAREST,
    PFISTER_GERSTNER_VISUAL_ALL_TO_ALL,
    PFISTER_GERSTNER_VISUAL_ALL_TO_ALL_MINIMAL,
    PFISTER_GERSTNER_VISUAL_NEAREST,
    PFISTER_GERSTNER_VISUAL_NEAREST_MINIMAL,
    TripletSTDP,
)

__all__ = [
    "BI_POO_1998",
    "DELTA_TARGET",
    "DEPRESSING",
    "DIEHL_COOK_2015",
    "FACILITATING",
    "FORMULATIONS",
    "KHERADPISHEH_2018",
    "MAASS_2002_EE",
    "MAASS_2002_EI",
    "MAASS_2002_IE",
    "MAASS_2002_II",
    "MASQUELIER_THORPE_2007",
    "PAIRINGS",
    "PAIR_PAIRINGS",
    "PFISTER_GERSTNER_HIPPOCAMPAL_ALL_TO_ALL",
    "PFISTER_GERSTNER_HIPPOCAMPAL_NEAREST",
    "PFISTER_GERSTNER_VISUAL_ALL_TO_ALL",
    "PFISTER_GERSTNER_VISUAL_ALL_TO_ALL_MINIMAL",
    "PFISTER_GERSTNER_VISUAL_NEAREST",
    "PFISTER_GERSTNER_VISUAL_NEAREST_MINIMAL",
    "SONG_MILLER_ABBOTT_2000",
    "DiehlCookSTDP",
    "MasquelierThorpeSTDP",
    "PairSTDP",
    "StaticSynapse",
    "SynapseEquations",
    "SynapseModel",
    "TripletSTDP",
    "TsodyksMarkram",
    "make_synapses",
    "target_expression_for",
]
