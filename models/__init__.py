"""Paper models (installed as ``bioneuro.models``); each submodule may define ``RUNNABLES``."""
