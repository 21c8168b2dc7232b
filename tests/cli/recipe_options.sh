#!/usr/bin/env bash
# The training recipe and architecture options through the salt command (issue 12): a tiny run with
# the image classifier, cosine schedule, Lovasz phase and image-only loss is recorded in run.txt and
# resumes with them; eval reports where the points go; post-processing chosen by training is saved
# with the weights and applied by eval and predict unless overridden; bad values are usage errors
# (exit 2) and nothing is written for them.
# usage: recipe_options.sh SALT_BINARY WORK_DIR
set -u
source "$(dirname "$0")/cli_lib.sh"
cli_start "$1" "$2"

check 0 "synth" "$salt" synth --out "$work/data" --count 40 --seed 2
data="$work/data"

# Bad values: exit 2, and no run directory is left behind.
check 2 "--encoder unknown" "$salt" train --data "$data" --out "$work/bad" --encoder vgg16
contains "$work/err.txt" "resnet18, resnet34, resnet50 or resnet101" "the encoder error lists the choices"
check 2 "--decoder unknown" "$salt" train --data "$data" --out "$work/bad" --decoder unet
check 2 "--rates with two values" "$salt" train --data "$data" --out "$work/bad" --rates 2,4
check 2 "--rates not numbers" "$salt" train --data "$data" --out "$work/bad" --rates a,b,c
check 2 "--classifier maybe" "$salt" train --data "$data" --out "$work/bad" --classifier maybe
check 2 "--schedule step" "$salt" train --data "$data" --out "$work/bad" --output-stride 16 --schedule step
check 2 "--loss-region centre" "$salt" train --data "$data" --out "$work/bad" --output-stride 16 --loss-region centre
check 2 "--lovasz-after 1" "$salt" train --data "$data" --out "$work/bad" --output-stride 16 --lovasz-after 1
check 2 "an architecture that is not compiled" "$salt" train --data "$data" --out "$work/bad" --classifier on --output-stride 8
contains "$work/err.txt" "output stride 16, image classifier" "the error lists the compiled configurations"
[ -e "$work/bad" ] && { echo "FAIL: a refused run left $work/bad"; fail=1; } || echo "ok: refused runs leave nothing"

# A cosine schedule laid out for a time limit: once complete, more --epochs alone says how to go on;
# with the time limit off the run continues.
check 0 "train with a tiny time limit" "$salt" train --data "$data" --out "$work/timed" --epochs 3 --max-minutes 0.001 \
    --max-steps 1 --batch 4 --output-stride 16 --postprocess off --threads 1
contains "$work/err.txt" "laid out over 1 epochs" "the plan is made from the first epoch's time"
check 0 "resume with more epochs only" "$salt" train --resume "$work/timed" --epochs 3 --threads 1
contains "$work/err.txt" "resume with the time limit off (--max-minutes 0)" "it says how to extend a completed plan"
[ "$(grep -c '^[0-9]' "$work/timed/log.csv")" = 1 ] && echo "ok: no epoch added" || { echo "FAIL: timed log.csv"; fail=1; }
check 0 "resume with --max-minutes 0" "$salt" train --resume "$work/timed" --epochs 2 --max-minutes 0 --threads 1 --quiet
[ "$(grep -c '^[0-9]' "$work/timed/log.csv")" = 2 ] && echo "ok: epoch 2 trained" || { echo "FAIL: timed log.csv"; fail=1; }

# salt info --list names every compiled configuration.
check 0 "info --list" "$salt" info --list
for c in "DeepLabV3+ decoder" "image classifier" "resnet34" "rates 2,4,6" "DeepLabV3+ decoder, image classifier" "resnet34, image classifier"; do
    contains "$work/out.txt" "$c" "info --list shows $c"
done

# A run with the recipe options; they are recorded and kept on resume.
check 0 "train with classifier, cosine, Lovasz phase, image-only loss" "$salt" train --data "$data" --out "$work/run" \
    --epochs 2 --max-steps 2 --batch 4 --output-stride 16 --classifier on --schedule cosine --warmup-epochs 0.5 \
    --lovasz-after 0.5 --loss-region image --cls-weight 0.05 --threads 1 --quiet
for kv in classifier=on schedule=cosine warmup-epochs=0.5 lovasz-after=0.5 loss-region=image cls-weight=0.05 postprocess=on; do
    contains "$work/run/run.txt" "^$kv\$" "run.txt records $kv"
done
contains "$work/out.txt" "post-processing (saved with the weights" "training reports the chosen post-processing"
check 0 "resume to 3 epochs" "$salt" train --resume "$work/run" --epochs 3 --threads 1 --quiet
[ "$(grep -c '^[0-9]' "$work/run/log.csv")" = 3 ] && echo "ok: log has 3 epochs" || { echo "FAIL: log.csv"; cat "$work/run/log.csv"; fail=1; }
check 0 "info on the classifier configuration" "$salt" info --output-stride 16 --classifier on
contains "$work/out.txt" "^classification_head.1 " "info shows the image classifier's linear layer"

# The post-processing saved in the weights' safetensors header (JSON at the start of the file).
head -c 65536 "$work/run/best.safetensors" | tr -d '\0' > "$work/header.txt"
contains "$work/header.txt" '"salt.post.threshold"' "the threshold is saved with the weights"
contains "$work/header.txt" '"salt.post.min_area"' "the minimum area is saved with the weights"
contains "$work/header.txt" '"salt.post.tta"' "the TTA choice is saved with the weights"
saved_threshold=$(grep -a -o '"salt.post.threshold" *: *"[^"]*"' "$work/header.txt" | sed 's/.*: *"\(.*\)"/\1/')
[ -n "$saved_threshold" ] && echo "ok: saved threshold $saved_threshold" || { echo "FAIL: no saved threshold"; fail=1; saved_threshold=none; }

# eval: breakdown, saved post-processing by default, overrides.
check 0 "eval (defaults)" "$salt" eval --weights "$work/run/best.safetensors" --data "$data" --split all
for t in "where the points go" "truth empty" "truth with salt" "coverage (0%, 1%]" "coverage (50%, 100%]" "hflip TTA"; do
    contains "$work/out.txt" "$t" "eval prints '$t'"
done
check 0 "eval --json" "$salt" eval --weights "$work/run/best.safetensors" --data "$data" --split all --json
for f in '"map_empty":' '"map_salt":' '"false_positive_images":' '"false_negative_images":' '"coverage": \[' '"tta": true'; do
    contains "$work/out.txt" "$f" "eval --json has $f"
done
lacks "$work/err.txt" "images" "eval --json prints no progress counter"
check 0 "eval --no-postprocess --json" "$salt" eval --weights "$work/run/best.safetensors" --data "$data" --no-postprocess --json
contains "$work/out.txt" '"threshold": 0.5, "min_area": 0, "gate": 0' "--no-postprocess: threshold 0.5, no area, no gate"
contains "$work/out.txt" '"tta": false' "--no-postprocess: no TTA"
check 0 "eval --threshold 0.7 --min-area 20 --gate 0.4 --no-tta --json" "$salt" eval --weights "$work/run/best.safetensors" \
    --data "$data" --threshold 0.7 --min-area 20 --gate 0.4 --no-tta --json
contains "$work/out.txt" '"threshold": 0.7, "min_area": 20, "gate": 0.4' "overrides are applied"
check 2 "eval --threshold 1.5" "$salt" eval --weights "$work/run/best.safetensors" --data "$data" --threshold 1.5
check 2 "eval --min-area -3" "$salt" eval --weights "$work/run/best.safetensors" --data "$data" --min-area -3

# predict: applies the saved post-processing; an area no mask can reach empties every mask.
check 0 "predict (defaults)" "$salt" predict --weights "$work/run/best.safetensors" --images "$data/train/images" --out "$work/pred"
contains "$work/err.txt" "threshold $saved_threshold" "predict applies the saved threshold ($saved_threshold)"
contains "$work/err.txt" "hflip TTA" "predict applies TTA by default"
check 0 "predict --min-area 10202" "$salt" predict --weights "$work/run/best.safetensors" --images "$data/train/images" \
    --out "$work/pred-empty" --min-area 10202 --submission "$work/empty.csv"
[ "$(grep -c ',$' "$work/empty.csv")" = 40 ] && echo "ok: every mask is empty" || { echo "FAIL: masks survived --min-area 10202"; fail=1; }

# The default recipe (docs/results.md): a run given no recipe or architecture option trains ResNet-50 at
# output stride 16 with the image classifier, cosine schedule, BCE + Dice, and post-processing on.
check 0 "train with the defaults" "$salt" train --data "$data" --out "$work/default" --epochs 1 --max-steps 1 --batch 4 \
    --threads 1
contains "$work/err.txt" "output stride 16, image classifier" "the default model is announced"
for kv in encoder=resnet50 decoder=deeplabv3 output-stride=16 classifier=on rates=12,24,36 schedule=cosine loss=bce_dice \
          lovasz-after=0 postprocess=on; do
    contains "$work/default/run.txt" "^$kv\$" "the default run records $kv"
done

# A model without the classifier: --gate is a usage error; weights from before the options load as before.
check 0 "train plain OS16" "$salt" train --data "$data" --out "$work/plain" --epochs 1 --max-steps 1 --batch 4 --output-stride 16 \
    --classifier off --postprocess off --threads 1 --quiet
lacks "$work/out.txt" "post-processing (saved" "--postprocess off chooses nothing"
check 2 "eval --gate without a classifier" "$salt" eval --weights "$work/plain/best.safetensors" --data "$data" --gate 0.5
contains "$work/err.txt" "needs a model with an image classifier" "the gate error says why"
check 0 "eval without saved post-processing" "$salt" eval --weights "$work/plain/best.safetensors" --data "$data" --json
contains "$work/out.txt" '"threshold": 0.5, "min_area": 0' "no saved post-processing: threshold 0.5, no area"
exit $fail
