"""Per-code-object time of the compiled Diehl & Cook network (Brian2 standalone profiling), 400 neurons.

Usage: BIONEURO_DATA=... python benchmarks/profile_diehl_cook.py  (builds a separate profiled project)
"""
from pathlib import Path

import brian2 as b2
import numpy as np
from bioneuro.models.diehl_cook import DiehlCookParameters, load_data, training
from bioneuro.models.diehl_cook.network import initial_state

orig = b2.Network.run
def run(self, duration, **kw):
    kw["profile"] = True
    return orig(self, duration, **kw)
b2.Network.run = run
p = DiehlCookParameters(n_neurons=400, chunk_images=100)
d = load_data(p)
with training.CompiledNetwork(p, Path("/tmp/dc_prof_cache")) as net:
    st = initial_state(p, np.random.default_rng(0))
    out = net.run_chunk(st, d.train_images[:100], 1.0, 1)
    out = net.run_chunk(out.state, d.train_images[100:200], 1.0, 2)
    info = net.handles.network.profiling_info
    tot = sum(float(t) for _, t in info)
    print("presentations", out.n_presentations, "total profiled s", tot)
    for name, t in sorted(info, key=lambda x: -float(x[1])):
        print(f"{name:50s} {float(t)*1e3/out.n_presentations:8.2f} ms/pres")
