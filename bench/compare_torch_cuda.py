#!/usr/bin/env python3
"""bench/compare_torch_cuda.py -- salt's CUDA backend against PyTorch + cuDNN on the same GPU:
DeepLabV3-ResNet50 (1 input channel, 128x128, 1 class, output stride 8), in one run.

NOT YET RUN ON A GPU: written on a machine without one; see docs/cuda-usage.md.

Cases (salt-bench-cuda's names; the CPU cases' names with "/cuda" appended):
  BM_DeepLabV3_Infer/batch:{1,8,64}/size:128/cuda     eval-mode forward
  BM_DeepLabV3_TrainStep/batch:{8,64}/size:128/cuda   train-mode forward, BCE + Dice loss, backward,
                                                      Adam step (lr 1e-3), zero_grad

Implementations:
  salt fp32     salt-bench-cuda's /cuda cases (cuDNN FMA math: true fp32, TF32 off)
  salt tf32     its /cuda_tf32 cases (cuDNN may use TF32 tensor cores)
  torch fp32    torchvision's deeplabv3_resnet50 on cuda, cuDNN, TF32 OFF
                (torch.backends.cudnn.allow_tf32 = False, torch.backends.cuda.matmul.allow_tf32 = False)
  torch bf16    the same model under torch.autocast("cuda", dtype=torch.bfloat16) for the forward
                pass and the loss (parameters, gradients and Adam in fp32, as autocast does)

Both sides synchronise the GPU after every timed iteration (salt: the device's synchronize(), torch:
torch.cuda.synchronize()), so a time is the GPU's time for one call. Each side warms up first (salt:
one call, which builds its convolution plans; torch: three calls, which with cudnn.benchmark pick its
algorithms). PyTorch runs with torch.backends.cudnn.benchmark = True (the usual setting for fixed
shapes; --no-cudnn-benchmark turns it off); salt always uses cuDNN's heuristics restricted to
deterministic algorithms (docs/cuda.md).

The ratios are salt time / torch time: below 1 salt is faster. Peak device memory: salt's caching
arena high-water mark; torch.cuda.max_memory_reserved() for torch.

  python3 bench/compare_torch_cuda.py --salt-bench-cuda build/bin/salt-bench-cuda [--python PY] [--json F]

Exits with 1 and one message when there is no GPU, no salt-bench-cuda, or no torch/torchvision with
CUDA in --python.
"""
import argparse
import json
import os
import subprocess
import sys

CASES = [("infer", 1), ("infer", 8), ("infer", 64), ("train", 8), ("train", 64)]


def case_name(kind, batch, suffix="cuda"):
    head = "BM_DeepLabV3_Infer" if kind == "infer" else "BM_DeepLabV3_TrainStep"
    return f"{head}/batch:{batch}/size:128/{suffix}"


# The PyTorch side, run by --python with `-c`: every case in both precisions in one process (a CUDA
# context and cuDNN's autotuning are paid once); prints one JSON object on its last line.
TORCH_WORKER = r'''
import json, sys, time
import torch, torchvision
cases = json.loads(sys.argv[1])
iters, cudnn_benchmark, channels_last = int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
if not torch.cuda.is_available():
    print(json.dumps({"error": "torch.cuda.is_available() is False (torch " + torch.__version__ + ")"}))
    sys.exit(0)
dev = torch.device("cuda")
torch.backends.cudnn.enabled = True
torch.backends.cudnn.benchmark = cudnn_benchmark
torch.backends.cudnn.allow_tf32 = False          # fp32 means fp32, as salt's default
torch.backends.cuda.matmul.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
fmt = torch.channels_last if channels_last else torch.contiguous_format

def make_model():
    torch.manual_seed(0)
    seg = torchvision.models.segmentation
    m = seg.deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=1, aux_loss=False)
    m.backbone.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    return m.to(dev, memory_format=fmt)

def timed(fn, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    times.sort()
    return times

def run_case(kind, batch, precision):
    # One function per case, so its model, optimiser and tensors are freed before the next.
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    gen = torch.Generator(device="cpu").manual_seed(1)
    x = torch.randn(batch, 1, 128, 128, generator=gen).to(dev).contiguous(memory_format=fmt)
    auto = lambda: torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16")
    if kind == "infer":
        m = make_model().eval()
        def fn():
            with torch.inference_mode(), auto():
                return m(x)["out"]
    else:
        m = make_model().train()
        target = (torch.rand(batch, 1, 128, 128, generator=gen) > 0.5).float().to(dev)
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        def fn():
            with auto():
                z = m(x)["out"].float()
                bce = torch.nn.functional.binary_cross_entropy_with_logits(z, target)
                p = torch.sigmoid(z).flatten(1)
                t = target.flatten(1)
                dice = 1 - (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)
                loss = bce + dice.mean()
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    times = timed(fn, 3)
    return {"kind": kind, "batch": batch, "precision": precision, "times": times,
            "median_s": times[len(times) // 2], "peak_mib": torch.cuda.max_memory_reserved() / 2**20}

results = [run_case(kind, batch, precision) for kind, batch, precision in cases]
print(json.dumps({"results": results, "torch": torch.__version__, "torchvision": torchvision.__version__,
                  "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                  "gpu": torch.cuda.get_device_name(0)}))
'''

PROBE = r'''
import json, sys
try:
    import torch, torchvision
except Exception as e:
    print(json.dumps({"error": "cannot import torch/torchvision: " + (str(e).splitlines() or [repr(e)])[0]}))
    sys.exit(0)
if not torch.cuda.is_available():
    print(json.dumps({"error": "torch " + torch.__version__ + " sees no CUDA device (torch.version.cuda = "
                      + str(torch.version.cuda) + ")"}))
    sys.exit(0)
print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}))
'''


class Failure(Exception):
    pass


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = (p.stderr.strip() or p.stdout.strip())[-2000:]
        raise Failure(f"{what} failed (exit {p.returncode}): {tail}")
    return p


def last_json(text, what):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise Failure(f"{what} printed no JSON result")


def run_salt(bench, cases, repetitions, min_time):
    names = []
    for kind, batch in cases:
        names += [case_name(kind, batch, "cuda"), case_name(kind, batch, "cuda_tf32")]
    pattern = "^(" + "|".join(names) + ")$"
    p = run([bench, f"--benchmark_filter={pattern}", f"--benchmark_repetitions={repetitions}",
             f"--benchmark_min_time={min_time}", "--benchmark_format=json"], "salt-bench-cuda")
    data = json.loads(p.stdout)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        if b.get("error_occurred"):
            raise Failure(f"salt-bench-cuda: {b['name']}: {b.get('error_message', 'failed')}")
        unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
        name = b.get("run_name", b["name"])
        r = out.setdefault(name, {"times": [], "peak_mib": 0.0})
        r["times"].append(b["real_time"] * unit)
        r["peak_mib"] = max(r["peak_mib"], b.get("device_peak_MiB", 0.0))
    for r in out.values():
        r["times"].sort()
        r["median_s"] = r["times"][len(r["times"]) // 2]
    return out, p.stderr


def fmt_ms(s):
    return f"{s * 1e3:.2f}" if s else "-"


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--salt-bench-cuda", default=os.path.join(here, "..", "build", "bin", "salt-bench-cuda"))
    ap.add_argument("--python", default=sys.executable, help="interpreter with torch + torchvision (CUDA)")
    ap.add_argument("--cases", default="infer1,infer8,infer64,train8,train64")
    ap.add_argument("--iters", type=int, default=20, help="torch: timed iterations per case after 3 warm-ups")
    ap.add_argument("--repetitions", type=int, default=5, help="salt: Google Benchmark repetitions per case")
    ap.add_argument("--min-time", type=float, default=0.2, help="salt: --benchmark_min_time per repetition (s)")
    ap.add_argument("--no-cudnn-benchmark", action="store_true", help="torch: cudnn.benchmark = False")
    ap.add_argument("--channels-last", action="store_true", help="torch: channels_last (NHWC) model and input")
    ap.add_argument("--json", help="write every measurement here")
    a = ap.parse_args()

    wanted = a.cases.split(",")
    cases = [c for c in CASES if f"{c[0]}{c[1]}" in wanted]
    unknown = set(wanted) - {f"{k}{b}" for k, b in CASES}
    if unknown or not cases:
        raise Failure(f"--cases: unknown {sorted(unknown)}; choose from "
                      + ",".join(f"{k}{b}" for k, b in CASES))

    # Prerequisites first, each with its own message.
    if not os.access(a.salt_bench_cuda, os.X_OK):
        raise Failure(f"no salt-bench-cuda at {a.salt_bench_cuda} (build it with -DSALT_CUDA=ON: "
                      "cmake --build BUILD --target salt-bench-cuda)")
    probe = subprocess.run([a.salt_bench_cuda, "--benchmark_filter=^$"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise Failure("salt-bench-cuda cannot use a GPU here: " + " / ".join(probe.stderr.strip().splitlines()))
    if not os.path.exists(a.python):
        raise Failure(f"--python {a.python}: no such interpreter")
    tp = last_json(run([a.python, "-c", PROBE], "the torch probe").stdout, "the torch probe")
    if "error" in tp:
        raise Failure(f"no usable PyTorch with CUDA in {a.python}: {tp['error']}")

    print(f"# GPU: {tp['gpu']}; torch {tp['torch']} ({a.python})", file=sys.stderr, flush=True)
    print("# salt-bench-cuda ...", file=sys.stderr, flush=True)
    salt, salt_log = run_salt(a.salt_bench_cuda, cases, a.repetitions, a.min_time)
    print("# PyTorch ...", file=sys.stderr, flush=True)
    torch_cases = [[k, b, prec] for k, b in cases for prec in ("fp32", "bf16")]
    tw = last_json(run([a.python, "-c", TORCH_WORKER, json.dumps(torch_cases), str(a.iters),
                        "0" if a.no_cudnn_benchmark else "1", "1" if a.channels_last else "0"],
                       "the PyTorch worker").stdout, "the PyTorch worker")
    if "error" in tw:
        raise Failure(f"PyTorch: {tw['error']}")
    torch_res = {(r["kind"], r["batch"], r["precision"]): r for r in tw["results"]}

    salt_header = " ".join(l for l in salt_log.strip().splitlines()[:2])
    print(f"GPU: {tw['gpu']}. salt: {salt_header}. PyTorch {tw['torch']}, torchvision {tw['torchvision']}, "
          f"CUDA {tw['cuda']}, cuDNN {tw['cudnn']}; cudnn.benchmark "
          f"{'off' if a.no_cudnn_benchmark else 'on'}, {'channels_last' if a.channels_last else 'NCHW'}.")
    print()
    print("Median time per call in ms (images/s in parentheses); ratios are salt time / torch time "
          "(below 1: salt faster).")
    print()
    print("| case | salt fp32 | salt TF32 | torch fp32 | torch bf16 autocast | salt fp32 / torch fp32 "
          "| salt fp32 / torch bf16 | salt TF32 / torch bf16 | peak MiB salt / torch fp32 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, batch in cases:
        s32 = salt.get(case_name(kind, batch, "cuda"), {})
        stf = salt.get(case_name(kind, batch, "cuda_tf32"), {})
        t32 = torch_res.get((kind, batch, "fp32"), {})
        t16 = torch_res.get((kind, batch, "bf16"), {})

        def cell(r):
            s = r.get("median_s")
            return f"{fmt_ms(s)} ({batch / s:.0f})" if s else "-"

        peak = f"{s32.get('peak_mib', 0):.0f} / {t32.get('peak_mib', 0):.0f}"
        print(f"| {case_name(kind, batch)} | {cell(s32)} | {cell(stf)} | {cell(t32)} | {cell(t16)} "
              f"| {ratio(s32.get('median_s'), t32.get('median_s'))} | {ratio(s32.get('median_s'), t16.get('median_s'))} "
              f"| {ratio(stf.get('median_s'), t16.get('median_s'))} | {peak} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"salt": salt, "torch": tw, "salt_devices": salt_log,
                       "options": vars(a)}, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"compare_torch_cuda: error: {e}", file=sys.stderr)
        sys.exit(1)
