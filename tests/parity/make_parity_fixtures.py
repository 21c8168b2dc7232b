#!/usr/bin/python3
"""Parity fixtures: torchvision's DeepLabV3-ResNet50 (and two of its building blocks) run by PyTorch,
with random weights and non-trivial BatchNorm statistics, saved as safetensors for salt's parity tests.

Run with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tests/parity/make_parity_fixtures.py --out DIR [--channels 1] [--size 128]
        [--batch 2] [--output-stride 8] [--seed 0]
    /usr/bin/python3 tests/parity/make_parity_fixtures.py --small-only [--out tests/fixtures/parity_small]

Every case directory holds weights.safetensors, input.safetensors, eval_out.safetensors,
train.safetensors and grads_f64.safetensors; tests/parity/README.md documents the contents.
The safetensors writer is the small one below (standard library + torch), so the `safetensors`
package is not needed.
"""
import argparse
import copy
import json
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import Bottleneck, resnet50
from torchvision.models.segmentation import deeplabv3_resnet50
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.resnet import BasicBlock, resnet18, resnet34
from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabHead, DeepLabV3, _deeplabv3_resnet

SAFETENSORS_DTYPE = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata):
    """tensors: dict name -> tensor (F32, F64 or I64), written in insertion order; atomic."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        b = t.numpy().tobytes()  # little-endian on x86, C order
        header[name] = {"dtype": SAFETENSORS_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def randomize_batchnorm(module, gen):
    """Non-trivial BN state, so eval mode (running statistics) is a real test:
    weight ~ U(0.8, 1.2), bias ~ N(0, 0.1), running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5),
    num_batches_tracked = a random int in [1, 10000)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.8 + 0.4 * torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.num_batches_tracked.fill_(int(torch.randint(1, 10000, (1,), generator=gen)))


def zero_dropout(module):
    """Train mode must be deterministic: every Dropout gets p = 0 (ASPP's project has p = 0.5)."""
    n = 0
    for m in module.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.p = 0.0
            n += 1
    return n


def forward_out(model, x):
    y = model(x)
    return y["out"] if isinstance(y, dict) else y


def run_case(name, model, x, out_dir, meta, gen):
    """model: float32, weights set. Writes the five files of one case into out_dir/."""
    os.makedirs(out_dir, exist_ok=True)
    timings = {}
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    param_names = [k for k, _ in model.named_parameters()]
    buffer_names = [k for k, _ in model.named_buffers()]
    meta = dict(meta, case=name, torch=torch.__version__, torchvision=torchvision.__version__,
                dropout="every Dropout set to p=0 for the train-mode case")

    write_safetensors(os.path.join(out_dir, "weights.safetensors"), state, meta)
    write_safetensors(os.path.join(out_dir, "input.safetensors"), {"input": x}, meta)

    # Eval mode (running statistics), float32 and float64.
    t0 = time.time()
    m32 = copy.deepcopy(model).eval()
    m64 = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        out32 = forward_out(m32, x)
        out64 = forward_out(m64, x.double())
    timings["eval"] = time.time() - t0
    write_safetensors(os.path.join(out_dir, "eval_out.safetensors"), {"out": out32, "out_f64": out64}, meta)

    # Train mode: batch statistics, running statistics updated, loss = sum(out * R).
    R = torch.randn(out32.shape, generator=gen)
    results = {}
    for dtype, label in ((torch.float32, "f32"), (torch.float64, "f64")):
        t0 = time.time()
        m = copy.deepcopy(model).to(dtype)
        zero_dropout(m)
        m.train()
        xi = x.to(dtype).clone().requires_grad_(True)
        out = forward_out(m, xi)
        loss = (out * R.to(dtype)).sum()
        loss.backward()
        res = {"out": out.detach(), "loss": loss.detach(), "grad.input": xi.grad.detach()}
        params = dict(m.named_parameters())
        for k in param_names:
            res["grad." + k] = params[k].grad.detach()
        buffers = dict(m.named_buffers())
        for k in buffer_names:
            res["after." + k] = buffers[k].detach()
        results[label] = res
        timings["train_" + label] = time.time() - t0

    train = {"R": R}
    train.update(results["f32"])
    write_safetensors(os.path.join(out_dir, "train.safetensors"), train, meta)
    write_safetensors(os.path.join(out_dir, "grads_f64.safetensors"), results["f64"], meta)

    # A summary of how well float32 is conditioned here (relative L2 of torch f32 vs f64).
    def rel(a, b):
        a, b = a.double(), b.double()
        return float((a - b).norm() / max(float(b.norm()), 1e-300))

    rels = {k: rel(results["f32"][k], results["f64"][k]) for k in results["f64"]
            if results["f64"][k].is_floating_point()}
    ill = sorted((k for k, r in rels.items() if r > 1e-3), key=lambda k: -rels[k])
    if ill:
        print("%s: %d of %d train tensors miss 1e-3 relative L2 in torch float32 (the float64 result is the "
              "reference for these): %s" % (name, len(ill), len(rels),
                                            ", ".join("%s %.1e" % (k, rels[k]) for k in ill[:8]) +
                                            (", ..." if len(ill) > 8 else "")))
    worst = max(((rel(results["f32"][k], results["f64"][k]), k) for k in results["f64"]
                 if results["f64"][k].is_floating_point()), default=(0.0, ""))
    print("%s: eval out |f32-f64| rel L2 %.2e; train worst f32 rel L2 %.2e (%s); out abs max %.3g; %s" % (
        name, rel(out32, out64), worst[0], worst[1], float(out32.abs().max()),
        ", ".join("%s %.2fs" % kv for kv in timings.items())))
    return timings


def dilate_basic_stages(backbone, output_stride):
    """torchvision's BasicBlock refuses dilation; salt dilates both 3x3 convs of a block with the stage
    plan of torchvision's _make_layer: in a dilated stage, block 0 drops its stride and keeps the
    previous dilation, the other blocks take the new one (padding = dilation keeps the map size)."""
    dilate = {"layer3": output_stride == 8, "layer4": True}
    dilation = 1
    for name in ("layer2", "layer3", "layer4"):
        stage = getattr(backbone, name)
        if not dilate.get(name, False):
            continue
        previous = dilation
        dilation *= 2
        for i, block in enumerate(stage):
            assert isinstance(block, BasicBlock)
            d = previous if i == 0 else dilation
            for conv in (block.conv1, block.conv2):
                conv.stride, conv.dilation, conv.padding = (1, 1), (d, d), (d, d)
            if block.downsample is not None:
                block.downsample[0].stride = (1, 1)


def build_deeplab(channels, output_stride, encoder="resnet50"):
    if encoder in ("resnet18", "resnet34"):
        backbone = (resnet18 if encoder == "resnet18" else resnet34)(weights=None)
        dilate_basic_stages(backbone, output_stride)
        model = DeepLabV3(IntermediateLayerGetter(backbone, {"layer4": "out"}), DeepLabHead(512, 1), None)
    elif output_stride == 8:
        model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=1, aux_loss=False)
    else:  # output stride 16: only layer4 dilated
        backbone = resnet50(weights=None, replace_stride_with_dilation=[False, False, True])
        model = _deeplabv3_resnet(backbone, 1, False)
    if channels == 1:
        conv = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")  # as torchvision's ResNet
        model.backbone.conv1 = conv
    return model


def small_cases(out_root, seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    base = {"seed": seed}

    def down(stride, inplanes=64):
        return nn.Sequential(nn.Conv2d(inplanes, 64, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(64))

    cases = []
    # Block 0 of a dilated stage: stride 1, but the channels change (32 -> 64), so a 1x1 projection.
    b1 = Bottleneck(32, 16, stride=1, downsample=down(1, 32))
    cases.append(("bottleneck_s1", b1, torch.randn(2, 32, 7, 7, generator=gen),
                  dict(base, module="torchvision.models.resnet.Bottleneck(32, 16, stride=1, dilation=1, "
                                     "downsample=Sequential(Conv2d(32, 64, 1, stride=1, bias=False), BatchNorm2d(64)))")))
    # Blocks 1.. of a stage: identity shortcut.
    b0 = Bottleneck(64, 16, stride=1, dilation=2)
    cases.append(("bottleneck_identity_d2", b0, torch.randn(2, 64, 6, 5, generator=gen),
                  dict(base, module="torchvision.models.resnet.Bottleneck(64, 16, stride=1, dilation=2)")))
    b2 = Bottleneck(64, 16, stride=2, downsample=down(2), dilation=2)
    cases.append(("bottleneck_s2_d2", b2, torch.randn(2, 64, 9, 9, generator=gen),
                  dict(base, module="torchvision.models.resnet.Bottleneck(64, 16, stride=2, dilation=2, "
                                     "downsample=Sequential(Conv2d(64, 64, 1, stride=2, bias=False), BatchNorm2d(64)))")))
    aspp = ASPP(in_channels=32, atrous_rates=[2, 4, 6], out_channels=16)
    cases.append(("aspp", aspp, torch.randn(2, 32, 8, 8, generator=gen),
                  dict(base, module="torchvision.models.segmentation.deeplabv3.ASPP(in_channels=32, "
                                     "atrous_rates=[2, 4, 6], out_channels=16)")))
    for name, m, x, meta in cases:
        randomize_batchnorm(m, gen)
        meta["input_shape"] = list(x.shape)
        run_case(name, m, x, os.path.join(out_root, name), meta, gen)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output directory (default for --small-only: tests/fixtures/parity_small)")
    ap.add_argument("--channels", type=int, choices=(1, 3), default=1)
    ap.add_argument("--size", type=int, default=128, help="input height = width")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--output-stride", type=int, choices=(8, 16), default=8)
    ap.add_argument("--encoder", choices=("resnet18", "resnet34", "resnet50"), default="resnet50")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--small-only", action="store_true", help="only the Bottleneck and ASPP cases")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    if args.small_only:
        out = args.out or os.path.join(os.path.dirname(here), "fixtures", "parity_small")
        small_cases(out, args.seed)
        return
    if not args.out:
        ap.error("--out DIR is required (the full-size fixtures are hundreds of MB: keep them out of the tree)")
    if args.batch < 2:
        ap.error("--batch must be >= 2: train-mode BatchNorm in ASPP's pooling branch sees one value per "
                 "channel at batch 1 and PyTorch refuses it (torchvision issue 2151)")

    t_start = time.time()
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    model = build_deeplab(args.channels, args.output_stride, args.encoder)
    randomize_batchnorm(model, gen)
    x = torch.randn(args.batch, args.channels, args.size, args.size, generator=gen)
    meta = {"model": "torchvision deeplabv3_resnet50(num_classes=1, aux_loss=False)" if args.encoder == "resnet50"
            else "torchvision DeepLabV3(%s with dilated BasicBlocks, DeepLabHead(512, 1))" % args.encoder,
            "encoder": args.encoder,
            "channels": args.channels, "size": args.size, "batch": args.batch,
            "output_stride": args.output_stride, "seed": args.seed,
            "input_shape": list(x.shape)}
    run_case("deeplabv3_" + args.encoder, model, x, args.out, meta, gen)
    print("total %.1fs" % (time.time() - t_start))


if __name__ == "__main__":
    sys.exit(main())
