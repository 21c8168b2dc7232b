#!/usr/bin/env python3
"""bench/compare_torch.py -- salt (simd backend) against PyTorch, ONNX Runtime and OpenVINO on
DeepLabV3-ResNet50 (1 input channel, 128x128, 1 class, output stride 8), two threads, in one run.

Cases (the salt-bench names):
  BM_DeepLabV3_Infer/batch:1/size:128      eval-mode forward
  BM_DeepLabV3_Infer/batch:8/size:128      eval-mode forward
  BM_DeepLabV3_TrainStep/batch:8/size:128  train-mode forward, BCE + Dice loss, backward, Adam step,
                                           zero_grad (salt: salt::train::bce_dice + salt::train::Adam)

Every measurement is its own process (so each side's peak RSS, from wait4(), is its own), and the
runs ALTERNATE: round r runs every (case, implementation) once, in a rotated order, and a ratio
is formed from the two medians of the same round. The machine is shared, so only same-round
ratios mean anything; the table gives the median over rounds of times, ratios and images/s, and
the load average before and after.

Implementations (each skipped with a note when it is not installed):
  salt        build/bin/salt-bench (--salt-bench), OMP_NUM_THREADS=2
  salt-bf16   the same binary's *_BF16 cases (bf16 GEMMs, fp32 sums; builds with AVX512_BF16)
  salt-int8   (inference, batch 1) BM_DeepLabV3_Infer_Int8: the embedded path at Precision::int8
              (what `salt quantize` writes), its convolutions cut over OMP_NUM_THREADS=2 threads
  torch-deb   /usr/bin/python3: Debian's PyTorch 1.13 (+ oneDNN), torch.set_num_threads(2)
  torch-pypi  /work/venv-bench/bin/python: PyPI's current PyTorch 2.x, fp32
  torch-pypi-bf16  the same under torch.autocast('cpu', dtype=torch.bfloat16) (inference and training)
  onnxruntime (inference) the model exported by torch-pypi, intra_op_num_threads=2 (fp32, its default)
  openvino    (inference) the same ONNX file, CPU plugin, 2 threads, LATENCY hint, default precision
              (bf16 on CPUs with AVX512_BF16 or AMX: what its users get)
  openvino-f32  the same with INFERENCE_PRECISION_HINT=f32

  python3 bench/compare_torch.py --salt-bench build-perf/bin/salt-bench --rounds 5
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CASES = [("infer", 1), ("infer", 8), ("train", 8)]
SALT_NAMES = {
    ("infer", 1): "BM_DeepLabV3_Infer/batch:1/size:128",
    ("infer", 8): "BM_DeepLabV3_Infer/batch:8/size:128",
    ("train", 8): "BM_DeepLabV3_TrainStep/batch:8/size:128",
}
SALT_VARIANTS = {"salt": "", "salt-bf16": "_BF16", "salt-int8": "_Int8"}  # name suffix of the salt-bench case
PY_IMPLS = ("torch-deb", "torch-pypi", "torch-pypi-bf16")
ONNX_IMPLS = ("onnxruntime", "openvino", "openvino-f32")

# The PyTorch side: run by the chosen interpreter with `-c`; prints one JSON line.
TORCH_WORKER = r'''
import json, resource, sys, time
import torch, torchvision
torch.set_num_threads(2)
kind, batch, iters, impl, onnx_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
torch.manual_seed(0)
def make_model():
    seg = torchvision.models.segmentation
    m = seg.deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=1, aux_loss=False)
    m.backbone.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    return m
x = torch.randn(batch, 1, 128, 128)
times = []
import contextlib
def precision():
    # bf16 autocast: convolutions and matmuls in bf16, the rest in fp32 (PyTorch's CPU autocast policy)
    return torch.autocast("cpu", dtype=torch.bfloat16) if impl == "torch-bf16" else contextlib.nullcontext()
if impl in ("torch", "torch-bf16") and kind == "infer":
    m = make_model().eval()
    base = rss_mib()
    with torch.inference_mode(), precision():
        m(x)
        for _ in range(iters):
            t = time.perf_counter(); m(x)["out"]; times.append(time.perf_counter() - t)
elif impl in ("torch", "torch-bf16") and kind == "train":
    m = make_model().train()
    target = (torch.rand(batch, 1, 128, 128) > 0.5).float()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    def step():
        with precision():
            z = m(x)["out"]
        z = z.float()
        bce = torch.nn.functional.binary_cross_entropy_with_logits(z, target)
        p = torch.sigmoid(z).flatten(1)
        t = target.flatten(1)
        dice = 1 - (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)
        loss = bce + dice.mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
    base = rss_mib()
    step()
    for _ in range(iters):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
elif impl == "export":
    m = make_model().eval()
    kw = {}
    try:
        torch.onnx.export(m, x, onnx_path, input_names=["x"], output_names=["out"], opset_version=17, dynamo=False)
    except TypeError:
        torch.onnx.export(m, x, onnx_path, input_names=["x"], output_names=["out"], opset_version=17)
    print(json.dumps({"ok": True})); sys.exit(0)
elif impl == "onnxruntime":
    import numpy as np, onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
    s = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    xn = x.numpy()
    base = rss_mib()
    s.run(None, {"x": xn})
    for _ in range(iters):
        t = time.perf_counter(); s.run(None, {"x": xn}); times.append(time.perf_counter() - t)
elif impl in ("openvino", "openvino-f32"):
    import numpy as np, openvino as ov
    core = ov.Core()
    config = {"INFERENCE_NUM_THREADS": 2, "PERFORMANCE_HINT": "LATENCY"}
    if impl == "openvino-f32":
        config["INFERENCE_PRECISION_HINT"] = "f32"
    cm = core.compile_model(onnx_path, "CPU", config)
    hint = cm.get_property("INFERENCE_PRECISION_HINT")
    precision_used = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
    req = cm.create_infer_request()
    xn = x.numpy()
    base = rss_mib()
    req.infer({0: xn})
    for _ in range(iters):
        t = time.perf_counter(); req.infer({0: xn}); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"median_s": times[len(times) // 2], "times": times, "rss_before_mib": base,
                  "rss_mib": rss_mib(), "version": torch.__version__,
                  "precision": globals().get("precision_used", "")}))
'''


def run_child(cmd, env=None):
    """Runs cmd, returns its stdout. Each child reports its own peak RSS (getrusage RUSAGE_SELF)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = p.communicate()
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {err[-2000:]}")
    return out


def salt_case(impl, kind, batch):
    """BM_DeepLabV3_Infer_BF16/batch:1/size:128 ... for the salt variant `impl`."""
    head, rest = SALT_NAMES[(kind, batch)].split("/", 1)
    return f"{head}{SALT_VARIANTS[impl]}/{rest}"


def run_salt(bench, kind, batch, iters, impl):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    name = salt_case(impl, kind, batch)
    out = run_child([bench, f"--benchmark_filter=^{name}$", f"--benchmark_repetitions={iters}",
                     "--benchmark_min_time=0.001", "--benchmark_format=json"], env)
    data = json.loads(out)
    runs = [b for b in data["benchmarks"] if b.get("run_type") == "iteration"]
    unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[runs[0]["time_unit"]]
    times = sorted(b["real_time"] * unit for b in runs)
    rss = max(b.get("peak_rss_MiB", 0.0) for b in runs)
    return {"median_s": times[len(times) // 2], "times": times, "rss_mib": rss}


def run_py(python, kind, batch, iters, impl, onnx_path):
    out = run_child([python, "-c", TORCH_WORKER, kind, str(batch), str(iters), impl, onnx_path or "-"],
                    dict(os.environ, OMP_NUM_THREADS="2"))
    r = json.loads(out.strip().splitlines()[-1])
    return r


def has_module(python, mod):
    return subprocess.run([python, "-c", f"import {mod}"], capture_output=True).returncode == 0


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else float("nan")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--salt-bench", default=os.path.join(here, "..", "build", "bin", "salt-bench"))
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    ap.add_argument("--iters", type=int, default=3, help="timed iterations per process after one warm-up")
    ap.add_argument("--debian-python", default="/usr/bin/python3")
    ap.add_argument("--venv-python", default="/work/venv-bench/bin/python")
    ap.add_argument("--cases", default="infer1,infer8,train8")
    ap.add_argument("--impls", default="salt,salt-bf16,salt-int8,torch-deb,torch-pypi,torch-pypi-bf16,onnxruntime,"
                                       "openvino,openvino-f32")
    ap.add_argument("--json", help="write every measurement here")
    a = ap.parse_args()

    cases = [c for c in CASES if f"{c[0]}{c[1]}" in a.cases.split(",")]
    wanted = a.impls.split(",")
    impls = []
    notes = []
    if "salt" in wanted:
        if os.path.exists(a.salt_bench):
            impls.append("salt")
        else:
            notes.append(f"salt-bench not found at {a.salt_bench}")
    listed = ""
    if "salt" in impls:
        listed = subprocess.run([a.salt_bench, "--benchmark_list_tests=true"], capture_output=True, text=True).stdout
    for variant, why in (("salt-bf16", "built without AVX512_BF16"), ("salt-int8", "an older salt-bench")):
        if variant in wanted and "salt" in impls:
            if f"{SALT_VARIANTS[variant]}/" in listed:
                impls.append(variant)
            else:
                notes.append(f"{variant}: this salt-bench has no *{SALT_VARIANTS[variant]} cases ({why})")
    pythons = {"torch-deb": a.debian_python, "torch-pypi": a.venv_python, "torch-pypi-bf16": a.venv_python}
    for name in PY_IMPLS:
        if name in wanted:
            if os.path.exists(pythons[name]) and has_module(pythons[name], "torchvision"):
                impls.append(name)
            else:
                notes.append(f"{name}: no torch/torchvision under {pythons[name]}")
    onnx_dir = tempfile.mkdtemp(prefix="salt-compare-")
    onnx = {}
    for extra in ONNX_IMPLS:
        if extra not in wanted:
            continue
        module = extra.split("-")[0]
        if not (os.path.exists(a.venv_python) and has_module(a.venv_python, module)):
            notes.append(f"{extra}: {module} is not installed in {a.venv_python}")
            continue
        impls.append(extra)
    if any(i in impls for i in ONNX_IMPLS):
        for kind, batch in cases:
            if kind != "infer":
                continue
            path = os.path.join(onnx_dir, f"deeplabv3_b{batch}.onnx")
            try:
                run_py(a.venv_python, kind, batch, 1, "export", path)
                onnx[batch] = path
            except Exception as e:  # noqa: BLE001
                notes.append(f"ONNX export at batch {batch} failed: {str(e)[-300:]}")
    versions = {}
    for name in PY_IMPLS:
        if name in impls:
            versions[name] = subprocess.run([pythons[name], "-c", "import torch;print(torch.__version__)"],
                                            capture_output=True, text=True).stdout.strip()
    for extra in ONNX_IMPLS:
        if extra in impls:
            module = extra.split("-")[0]
            versions[extra] = subprocess.run([a.venv_python, "-c", f"import {module};print({module}.__version__)"],
                                             capture_output=True, text=True).stdout.strip()

    load0 = os.getloadavg()
    print(f"# load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; versions: {versions}", flush=True)
    for n in notes:
        print(f"# note: {n}", flush=True)
    results = {}  # (case, impl) -> list of per-round dicts
    for r in range(a.rounds):
        for ci, (kind, batch) in enumerate(cases):
            order = [i for i in impls if not (kind == "train" and i in ONNX_IMPLS)]
            if kind == "infer":
                order = [i for i in order if i not in ONNX_IMPLS or batch in onnx]
            # the int8 path is the embedded one: one image per call
            order = [i for i in order if i != "salt-int8" or (kind, batch) == ("infer", 1)]
            k = (r + ci) % len(order)
            order = order[k:] + order[:k]  # rotate who goes first
            for impl in order:
                la = os.getloadavg()[0]
                try:
                    if impl in SALT_VARIANTS:
                        res = run_salt(a.salt_bench, kind, batch, a.iters, impl)
                    elif impl in PY_IMPLS:
                        res = run_py(pythons[impl], kind, batch, a.iters,
                                     "torch-bf16" if impl.endswith("-bf16") else "torch", None)
                    else:
                        res = run_py(a.venv_python, kind, batch, a.iters, impl, onnx[batch])
                        if res.get("precision"):
                            versions[impl + ":precision"] = res["precision"]
                except Exception as e:  # noqa: BLE001
                    print(f"# round {r} {kind}{batch} {impl}: FAILED {str(e)[-500:]}", flush=True)
                    continue
                res["load"] = la
                res["round"] = r
                results.setdefault((kind, batch, impl), []).append(res)
                print(f"round {r} {kind} b{batch} {impl:12s} median {res['median_s']*1e3:8.1f} ms  (load {la:.2f})",
                      flush=True)
    load1 = os.getloadavg()

    peaks = {k: max(x["rss_mib"] for x in v) for k, v in results.items()}

    print(f"\n# load average: start {load0[0]:.2f}, end {load1[0]:.2f} (2 cores; above ~0.5 the numbers are contended)")
    refs = [v for v in SALT_VARIANTS if v in impls]
    print("| case | implementation | median time (ms) | images/s | "
          + " | ".join(f"{v} speed-up (same-round ratio, median)" for v in refs) + " | peak RSS (MiB) |")
    print("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in refs) + " | ---: |")
    for (kind, batch) in cases:
        def ratio(runs, ref):
            """median over rounds of (this side's time / salt variant ref's time), same round only"""
            ref_by_round = {x["round"]: x for x in results.get((kind, batch, ref), [])}
            pairs = [o["median_s"] / ref_by_round[o["round"]]["median_s"] for o in runs if o["round"] in ref_by_round]
            return f"{median(pairs):.2f}x" if pairs else ""
        for impl in impls:
            runs = results.get((kind, batch, impl))
            if not runs:
                continue
            t = median([x["median_s"] for x in runs])
            cells = [ratio(runs, ref) if ref != impl else "" for ref in refs]
            name = SALT_NAMES[(kind, batch)]
            pk = peaks.get((kind, batch, impl))
            pks = f"{pk:.0f}" if pk else "-"
            label = f"{impl} {versions.get(impl, '')}".strip()
            if versions.get(impl + ":precision"):
                label += f" ({versions[impl + ':precision']})"
            print(f"| {name} | {label} | {t*1e3:.1f} | {batch / t:.1f} | " + " | ".join(cells) + f" | {pks} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"load_start": load0, "load_end": load1, "versions": versions, "notes": notes,
                       "results": {f"{k[0]}{k[1]}:{k[2]}": v for k, v in results.items()},
                       "peaks_mib": {f"{k[0]}{k[1]}:{k[2]}": v for k, v in peaks.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
