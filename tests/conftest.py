"""Test-session settings.

* Brian2's runtime device uses the ``numpy`` code-generation target in tests unless ``BIONEURO_CODEGEN`` is set:
  it needs no compilation, so a fresh machine (cold Cython cache, ~50 s per small network) runs the suite in
  minutes. The Cython path is exercised by the tests that set it explicitly and by ``bioneuro demo``.
* Matplotlib draws off-screen.
"""

import os

os.environ.setdefault("BIONEURO_CODEGEN", "numpy")
os.environ.setdefault("MPLBACKEND", "Agg")

import brian2  # noqa: E402

brian2.prefs.codegen.target = os.environ["BIONEURO_CODEGEN"]
brian2.prefs.logging.std_redirection = False
