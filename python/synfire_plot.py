"""Pictures and a self-contained HTML report of a synfire output file.

    synfire plot out.h5 [-o DIR] [--force]

writes into DIR (default: <file stem>_plots next to the file), and refuses a DIR that already holds any of
these pictures unless --force:
    raster.png     spike raster per population, subsampled to at most 1000 neurons and 200 000 spikes
    rates.png      population rates: spike histograms and the rate recorders' bins
    voltage.png    membrane potential traces of state recorders (up to 8 neurons per population)
    fi_curve.png   for populations under constant dc/ramp drive: rate per neuron against its current, with
                   the closed-form LIF curve
    report.html    all of the above inline, the run's metadata and a table per population

Reads files of killed runs too (SWMR readers need no repair).
"""
import argparse
import base64
import html
import io
import math
import os
import sys
import tomllib

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

NEST_DEFAULTS = {"E_L": -70.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "V_th": -55.0, "V_reset": -70.0, "I_e": 0.0}
MAX_RASTER_NEURONS = 1000
MAX_RASTER_SPIKES = 200_000
OUTPUTS = ("raster.png", "rates.png", "voltage.png", "fi_curve.png", "report.html")


def read_model(f):
    text = f["config/model"][()]
    text = text.decode() if isinstance(text, bytes) else text
    return tomllib.loads(text)


def population_sizes(model):
    return {name: int(p["n"]) for name, p in model.get("populations", {}).items()}


def recorded_neurons(model, name, n):
    """How many neurons the population's spikes recorder records."""
    for r in model.get("recorders", []):
        if r.get("type") == "spikes" and r.get("population") == name and "ids" in r:
            return len(r["ids"])
    return n


def duration_ms(f):
    steps = int(f.attrs.get("steps_completed", f.attrs["steps"]))
    return steps * float(f.attrs["dt"])


def raster(f, sizes, out):
    pops = list(f["spikes"].keys()) if "spikes" in f else []
    if not pops:
        return None
    fig, axes = plt.subplots(len(pops), 1, figsize=(10, 2.6 * len(pops)), squeeze=False, sharex=True)
    rng = np.random.default_rng(0)
    for ax, name in zip(axes[:, 0], pops):
        t = f[f"spikes/{name}/timestamps"][:]
        ids = f[f"spikes/{name}/node_ids"][:]
        n = sizes.get(name, int(ids.max()) + 1 if len(ids) else 1)
        shown = np.arange(n)
        if n > MAX_RASTER_NEURONS:  # an evenly spaced subset of neurons keeps the population's structure
            shown = np.unique(np.linspace(0, n - 1, MAX_RASTER_NEURONS).astype(np.int64))
        keep = np.isin(ids, shown)
        t, ids = t[keep], ids[keep]
        if len(t) > MAX_RASTER_SPIKES:
            pick = np.sort(rng.choice(len(t), MAX_RASTER_SPIKES, replace=False))
            t, ids = t[pick], ids[pick]
        ax.scatter(t, ids, s=2.0 if len(t) < 20_000 else 0.5, c="k", marker=".", linewidths=0, rasterized=True)
        note = f" ({len(shown)} of {n} neurons)" if len(shown) < n else ""
        ax.set_ylabel(f"{name}\nneuron{note}")
        ax.set_ylim(-0.5, n - 0.5)
    axes[-1, 0].set_xlabel("time [ms]")
    fig.suptitle("Spike raster")
    return save(fig, out, "raster.png")


def rates(f, model, sizes, out):
    T = duration_ms(f)
    series = []
    if "spikes" in f:
        for name in f["spikes"]:
            t = f[f"spikes/{name}/timestamps"][:]
            recorded = recorded_neurons(model, name, sizes.get(name, 1))
            b = max(float(f.attrs["dt"]), T / 200) if T > 0 else 1.0
            edges = np.arange(0, T + b, b)
            counts, _ = np.histogram(t, edges)
            series.append((f"{name} (spikes, {b:g} ms bins)", edges[:-1], counts / (recorded * b * 1e-3)))
    if "rates" in f:
        for name in f["rates"]:
            g = f[f"rates/{name}"]
            series.append((f"{name} (rate recorder, {g.attrs['bin']:g} ms bins)", g["time"][:], g["rate"][:]))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for label, x, y in series:
        ax.step(x, y, where="post", label=label)
    ax.set_xlabel("time [ms]")
    ax.set_ylabel("rate [Hz]")
    ax.legend(fontsize=8)
    ax.set_title("Population rates")
    return save(fig, out, "rates.png")


def voltage(f, out):
    if "report" not in f:
        return None
    pops = [p for p in f["report"] if "V_m" in f[f"report/{p}"]]
    if not pops:
        return None
    fig, axes = plt.subplots(len(pops), 1, figsize=(10, 3 * len(pops)), squeeze=False)
    for ax, name in zip(axes[:, 0], pops):
        g = f[f"report/{name}/V_m"]
        start, _, step = g["mapping/time"][:]
        data = g["data"]
        ids = g["mapping/node_ids"][:]
        cols = np.unique(np.linspace(0, len(ids) - 1, min(8, len(ids))).astype(int))
        values = data[:, cols] if data.shape[0] else np.zeros((0, len(cols)))
        time = start + step * np.arange(values.shape[0])
        for j, c in enumerate(cols):
            ax.plot(time, values[:, j], lw=0.8, label=f"neuron {ids[c]}")
        ax.set_ylabel(f"{name}\nV_m [mV]")
        ax.legend(fontsize=7, ncol=4)
    axes[-1, 0].set_xlabel("time [ms]")
    fig.suptitle("Membrane potential")
    return save(fig, out, "voltage.png")


def lif_rate(p, I):
    """Closed-form rate [Hz] of a LIF neuron under constant current I [pA]."""
    R = p["tau_m"] / p["C_m"]
    v_inf = R * I
    theta, reset = p["V_th"] - p["E_L"], p["V_reset"] - p["E_L"]
    out = np.zeros_like(I, dtype=float)
    above = v_inf > theta
    out[above] = 1000.0 / (p["t_ref"] + p["tau_m"] * np.log((v_inf[above] - reset) / (v_inf[above] - theta)))
    return out


def constant_currents(model, name, n, steps, dt):
    """Each neuron's constant current [pA] when every stimulus of the population is a dc or ramp on for the
    whole run (the F-I sweep); None otherwise."""
    pop = model["populations"][name]
    params = dict(NEST_DEFAULTS, **pop.get("params", {}))
    I = np.full(n, params["I_e"], dtype=float)
    ramp = False
    for s in model.get("stimuli", []):
        if s.get("target") != name:
            continue
        whole = s.get("start", 0.0) == 0.0 and ("stop" not in s or s["stop"] >= steps * dt)
        if s["type"] not in ("dc", "ramp") or not whole:
            return None, params
        ids = np.array(s["ids"]) if "ids" in s else np.arange(n)
        if s["type"] == "dc":
            I[ids] += s["amplitude"]
        else:
            ramp = True
            m = len(ids)
            I[ids] += s["from"] + (s["to"] - s["from"]) * (np.arange(m) / (m - 1) if m > 1 else 0.0)
    return (I if ramp else None), params


def fi_curves(f, model, sizes, out):
    if "spikes" not in f:
        return None, []
    T = duration_ms(f)
    dt = float(f.attrs["dt"])
    steps = int(f.attrs["steps"])
    found = []
    for name in f["spikes"]:
        I, params = constant_currents(model, name, sizes[name], steps, dt)
        if I is None or T <= 0:
            continue
        counts = np.bincount(f[f"spikes/{name}/node_ids"][:].astype(np.int64), minlength=sizes[name])
        found.append((name, I, counts / (T * 1e-3), params))
    if not found:
        return None, []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    table = []
    for name, I, r, params in found:
        order = np.argsort(I)
        ax.plot(I[order], r[order], ".", ms=3, label=f"{name}: simulated")
        grid = np.linspace(I.min(), I.max(), 400)
        ax.plot(grid, lif_rate(params, grid), "-", lw=1, label=f"{name}: closed form")
        table.append((name, I, r, lif_rate(params, I)))
    ax.set_xlabel("injected current I [pA]")
    ax.set_ylabel("rate [Hz]")
    ax.set_title("F-I curve")
    ax.legend(fontsize=8)
    return save(fig, out, "fi_curve.png"), table


def save(fig, out, name):
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(f, model, sizes, images, fi_table, out, source):
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    T = duration_ms(f)
    rows = []
    for name, n in sizes.items():
        kind = model["populations"][name]["model"]
        if "spikes" in f and name in f["spikes"]:
            k = f[f"spikes/{name}/node_ids"].shape[0]
            recorded = f"{k}"
            rate = f"{k / (recorded_neurons(model, name, n) * T * 1e-3):.3f}" if T > 0 else "-"
        else:
            recorded, rate = "not recorded", "-"
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{kind}</td><td>{n}</td><td>{recorded}</td><td>{rate}</td></tr>")
    meta = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in sorted(attrs.items()))
    figures = []
    for title, path in images:
        with open(path, "rb") as img:
            data = base64.b64encode(img.read()).decode()
        figures.append(f'<figure><img alt="{title}" src="data:image/png;base64,{data}"><figcaption>{title}</figcaption></figure>')
    fi_html = ""
    for name, I, r, closed in fi_table:
        pick = np.unique(np.linspace(0, len(I) - 1, min(11, len(I))).astype(int))
        order = np.argsort(I)[pick]
        cells = "".join(f"<tr><td>{I[i]:.1f}</td><td>{r[i]:.2f}</td><td>{closed[i]:.2f}</td></tr>" for i in order)
        fi_html += (f"<h3>F-I table of {html.escape(name)}</h3><table><tr><th>I [pA]</th><th>simulated [Hz]</th>"
                    f"<th>closed form [Hz]</th></tr>{cells}</table>")
    state = "complete" if int(attrs.get("completed", 0)) == 1 else "INCOMPLETE (the run was stopped or killed)"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>synfire report: {html.escape(str(attrs.get('model_name', '')))}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
</style></head><body>
<h1>synfire report: {html.escape(str(attrs.get('model_name', '')))}</h1>
<p id="summary">{html.escape(source)}: {T:g} ms simulated, run {state}.</p>
<h2>Populations</h2>
<table id="populations"><tr><th>population</th><th>model</th><th>n</th><th>spikes recorded</th><th>mean rate [Hz]</th></tr>
{''.join(rows)}</table>
{fi_html}
<h2>Figures</h2>
{''.join(figures)}
<h2>Run</h2>
<table id="metadata">{meta}</table>
<script>
// marks how many figures decoded, for tests that render the page headless
window.addEventListener("load", () => {{
  document.body.dataset.imagesLoaded = [...document.images].filter(i => i.complete && i.naturalWidth > 0).length;
}});
</script>
</body></html>
"""
    path = os.path.join(out, "report.html")
    with open(path, "w", encoding="utf-8") as h:
        h.write(page)
    return path


def refuse(message):
    """Bad input, as synfire reports it: one line, exit code 2, nothing written."""
    print(f"synfire plot: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    ap = argparse.ArgumentParser(prog="synfire plot", description="pictures and an HTML report of a synfire output file")
    ap.add_argument("file")
    ap.add_argument("-o", "--output", help="folder for the pictures (default: <file stem>_plots)")
    ap.add_argument("--force", action="store_true", help="overwrite pictures already in the folder")
    args = ap.parse_args(argv)
    out = args.output or os.path.splitext(args.file)[0] + "_plots"
    if os.path.lexists(out) and not os.path.isdir(out):
        refuse(f"{out}: exists and is not a folder; choose the folder for the pictures with -o")
    existing = [name for name in OUTPUTS if os.path.lexists(os.path.join(out, name))]
    if existing and not args.force:
        refuse(f"{out} already holds {', '.join(existing)}; pass --force to overwrite or -o to choose another folder")
    if os.path.isfile(args.file) and not h5py.is_hdf5(args.file):
        refuse(f"{args.file}: not an HDF5 file")
    try:
        f = h5py.File(args.file, "r", swmr=True)
    except OSError as e:
        sys.exit(f"synfire plot: {args.file}: {e}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        sys.exit(f"synfire plot: cannot create {out}: {e.strerror}")
    with f:
        model = read_model(f)
        sizes = population_sizes(model)
        images = []
        for title, make in (("Spike raster", lambda: raster(f, sizes, out)), ("Population rates", lambda: rates(f, model, sizes, out)),
                            ("Membrane potential", lambda: voltage(f, out))):
            path = make()
            if path:
                images.append((title, path))
        fi_path, fi_table = fi_curves(f, model, sizes, out)
        if fi_path:
            images.append(("F-I curve", fi_path))
        page = report(f, model, sizes, images, fi_table, out, os.path.basename(args.file))
    for _, path in images:
        print(path)
    print(page)


if __name__ == "__main__":
    main(sys.argv[1:])
