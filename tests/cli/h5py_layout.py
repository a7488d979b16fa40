"""Reads every recorder's output of a synfire run with h5py, as a user would.

usage: h5py_layout.py SYNFIRE_EXE
"""
import subprocess
import sys
import tempfile

import h5py
import numpy as np

MODEL = """
[simulation]
duration = 200.0
seed = 3
[populations.E]
model = "iaf_psc_exp"
n = 500
V_init = { distribution = "uniform", low = -70.0, high = -55.0 }
[populations.I]
model = "iaf_psc_delta"
n = 100
[[stimuli]]
type = "ramp"
target = "E"
from = 300.0
to = 700.0
[[stimuli]]
type = "noise"
target = "I"
mean = 350.0
std = 200.0
[[recorders]]
type = "spikes"
population = "E"
[[recorders]]
type = "state"
population = "E"
ids = [3, 200, 499]
variables = ["V_m", "I_syn_in"]
interval = 0.5
[[recorders]]
type = "rate"
population = "I"
bin = 10.0
"""

exe = sys.argv[1]
with tempfile.TemporaryDirectory() as d:
    open(f"{d}/m.toml", "w").write(MODEL)
    subprocess.run([exe, "run", "m.toml", "-o", "out.h5", "--quiet"], cwd=d, check=True)
    with h5py.File(f"{d}/out.h5", "r") as f:
        assert f.attrs["completed"] == 1
        assert f.attrs["magic"] == 0x0A7A and list(f.attrs["version"]) == [0, 1]  # SONATA's file marks
        assert "toml" in f["config/model"].attrs["format"]
        sp = f["spikes/E"]
        assert h5py.check_enum_dtype(sp.attrs.get_id("sorting").dtype) == {"none": 0, "by_id": 1, "by_time": 2}
        assert sp.attrs.get_id("sorting").dtype == np.dtype("u1"), "an unsigned byte, as libsonatareport writes it"
        assert sp.attrs["sorting"] == 2
        t = sp["timestamps"][:]
        assert sp["timestamps"].attrs["units"] == "ms" and (np.diff(t) >= 0).all() and len(t) > 100
        for var, units in (("V_m", "mV"), ("I_syn_in", "pA")):
            rep = f[f"report/E/{var}"]
            data = rep["data"][:]
            assert data.shape == (400, 3), data.shape
            assert rep["data"].attrs["units"] == units
            assert rep["data"].attrs["variable"] == var
            assert list(rep["mapping/node_ids"][:]) == [3, 200, 499] and rep["mapping/node_ids"].attrs["sorted"] == 1
            assert list(rep["mapping/index_pointers"][:]) == [0, 1, 2, 3]
            start, stop, step = rep["mapping/time"][:]
            assert (start, stop, step) == (0.5, 200.5, 0.5), (start, stop, step)
        v = f["report/E/V_m/data"][:]
        assert -70.5 < v.min() and v.max() < -55.0, (v.min(), v.max())
        assert "I_syn_ex" not in f["report/E"]
        # SONATA's /report/<population>/{data, mapping}: the first recorded variable, the same objects
        assert f["report/E/data"] == f["report/E/V_m/data"] and f["report/E/mapping"] == f["report/E/V_m/mapping"]
        assert f["report/E/data"].attrs["variable"] == "V_m" and f["report/E/data"].shape == (400, 3)
        r = f["rates/I"]
        assert r["rate"].shape == (20,) and r["rate"].attrs["units"] == "Hz"
        assert list(r["time"][:5]) == [0.0, 10.0, 20.0, 30.0, 40.0]
        assert r.attrs["bin"] == 10.0 and r.attrs["neurons"] == 100
        assert r["rate"][:].mean() > 1.0
print("h5py layout ok")
