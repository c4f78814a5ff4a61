"""bioneuro: biologically faithful spiking-network modelling on Brian2."""

__version__ = "0.1.0"
