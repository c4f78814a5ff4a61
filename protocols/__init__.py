"""Neuroscience protocols (installed as ``bioneuro.protocols``); each submodule may define ``RUNNABLES``."""
