"""`synfire plot` end to end: the pictures exist, and the HTML report renders in headless Chromium with every
figure decoded.

usage: report_render.py SYNFIRE_EXE
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import matplotlib.image

MODEL = """
[simulation]
duration = 300.0
[populations.E]
model = "iaf_psc_exp"
n = 300
[[stimuli]]
type = "ramp"
target = "E"
from = 0.0
to = 1000.0
[[recorders]]
type = "spikes"
population = "E"
[[recorders]]
type = "state"
population = "E"
ids = [10, 150, 299]
[[recorders]]
type = "rate"
population = "E"
bin = 10.0
"""

exe = sys.argv[1]
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    sys.exit("report_render: chromium not found (scripts/setup installs Debian's chromium)")
with tempfile.TemporaryDirectory() as d:
    open(f"{d}/m.toml", "w").write(MODEL)
    subprocess.run([exe, "run", "m.toml", "-o", "out.h5", "--quiet"], cwd=d, check=True)
    subprocess.run([exe, "plot", "out.h5", "-o", "plots"], cwd=d, check=True, stdout=subprocess.DEVNULL)
    expected = ["raster.png", "rates.png", "voltage.png", "fi_curve.png", "report.html"]
    for name in expected:
        assert os.path.getsize(f"{d}/plots/{name}") > 1000, name
    page = f"file://{d}/plots/report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={d}/profile"]
    dom = subprocess.run([browser, *flags, "--virtual-time-budget=10000", "--dump-dom", page], capture_output=True, text=True,
                         timeout=120).stdout
    loaded = re.search(r'data-images-loaded="(\d+)"', dom)
    assert loaded and int(loaded.group(1)) == 4, f"figures decoded: {loaded.group(1) if loaded else 'none'}"
    assert "F-I table of E" in dom and 'id="populations"' in dom
    subprocess.run([browser, *flags, f"--screenshot={d}/shot.png", "--window-size=1200,1600", page], capture_output=True, timeout=120)
    shot = matplotlib.image.imread(f"{d}/shot.png")
    dark = (shot[..., :3].mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.5, f"the screenshot looks blank or broken ({dark:.4f} dark pixels)"
print("report renders")
