#!/usr/bin/env bash
# salt segy speed on a synthetic 256x256x256 volume (docs/segy.md, "Speed"): one axis and both, with
# and without flip TTA, with the default architecture (DeepLabV3-ResNet50, 128x128 input, output
# stride 8). The weights come from two training steps on the volume's own tiles: the time of a
# prediction does not depend on the weights' values, only on the architecture.
# usage: bench/segy_speed.sh SALT_BINARY WORK_DIR [EXTENT] [extra salt segy options, e.g. --bf16]
set -euo pipefail
salt="$1"
work="$2"
n="${3:-256}"
shift $(( $# < 3 ? $# : 3 ))
mkdir -p "$work"
if [ ! -f "$work/vol$n/volume.sgy" ]; then
    "$salt" synth --out "$work/vol$n" --segy --inlines "$n" --crosslines "$n" --samples "$n" --seed 3
fi
if [ ! -f "$work/run/best.safetensors" ]; then
    "$salt" train --data "$work/vol$n" --out "$work/run" --epochs 1 --max-steps 2 --val-fraction 0.02 \
        --postprocess off --quiet
fi
echo "| axis | TTA | sections | seconds | sections/s | traces/s |"
echo "|---|---|---|---|---|---|"
for axis in inline both; do
    for tta in no-tta tta; do
        line=$("$salt" segy --weights "$work/run/best.safetensors" --in "$work/vol$n/volume.sgy" --out "$work/out.sgy" \
            --axis "$axis" --"$tta" --quiet "$@")
        # salt segy: wrote OUT (...): P% of samples above T; S s, N sections (R sections/s, T traces/s)
        read -r secs sections rate traces < <(sed -E \
            's/.*; ([0-9.]+) s, ([0-9]+) sections \(([0-9.]+) sections\/s, ([0-9]+) traces\/s\).*/\1 \2 \3 \4/' <<< "$line")
        echo "| $axis | ${tta/no-tta/no} | $sections | $secs | $rate | $traces |"
        rm -f "$work/out.sgy"
    done
done
