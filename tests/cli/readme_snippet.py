"""Runs the h5py snippet from README.md against a fresh `synfire run` of the default model.

usage: readme_snippet.py SYNFIRE_EXE README.md
"""
import os
import re
import subprocess
import sys
import tempfile

exe, readme = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
blocks = re.findall(r"```python\n(.*?)```", text, re.S)
snippet = next((b for b in blocks if "h5py" in b), None)
if snippet is None:
    sys.exit("README.md has no python block using h5py")

with tempfile.TemporaryDirectory() as d:
    subprocess.run([exe, "run", "-o", "fi_curve.h5", "--quiet"], cwd=d, check=True)
    scope = {}
    cwd = os.getcwd()
    os.chdir(d)
    try:
        exec(compile(snippet, "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    t, ids = scope["t"], scope["ids"]
    assert len(t) == len(ids) > 0, "the snippet read no spikes"
    assert all(t[i] <= t[i + 1] for i in range(len(t) - 1)), "timestamps not sorted by time"
    assert 0 <= min(ids) and max(ids) < 1000
print("README snippet ok")
