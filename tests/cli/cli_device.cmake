# --device and the backends: bad device names are usage errors (exit 2) in every model-running
# command, device-specific flags are refused on the other device, `salt info` lists the backends,
# and nothing is written by a run that is refused. CUDA is ON or OFF (whether the tool was built
# with the CUDA backend); a GPU is neither needed nor used.
file(REMOVE_RECURSE ${TMP})
file(MAKE_DIRECTORY ${TMP})

# expect(<exit code> <regex the stderr must match, or "">  <salt arguments...>)
function(expect code pattern)
  execute_process(COMMAND ${SALT} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL code)
    message(FATAL_ERROR "salt ${ARGN}: exit ${rc}, expected ${code}\nstdout: ${out}\nstderr: ${err}")
  endif()
  if(pattern AND NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "salt ${ARGN}: stderr does not match '${pattern}':\n${err}")
  endif()
endfunction()

# A device name that is not cpu / cuda / cuda:N, in each command that takes --device.
set(bad "--device must be cpu, cuda or cuda:N, got 'bogus'")
expect(2 "${bad}" train --out ${TMP}/run --device bogus)
expect(2 "${bad}" eval --weights ${TMP}/missing.safetensors --data ${TMP}/missing --device bogus)
expect(2 "${bad}" predict --weights ${TMP}/missing.safetensors --images ${TMP}/missing --out ${TMP}/pred --device bogus)
expect(2 "${bad}" forward --weights ${TMP}/w --input ${TMP}/x.npy --output ${TMP}/y.npy --device bogus)
expect(2 "${bad}" bench --device bogus)
expect(2 "${bad}" info --device bogus)
expect(2 "got 'GPU'" bench --device GPU)
expect(2 "--tf32 is for --device cuda" bench --tf32)
expect(2 "--winograd runs fp32 convolutions; it cannot be combined with --bf16" bench --winograd --bf16)
# salt bench takes the model options of salt train / salt info: a name that is not compiled is a
# usage error listing what is; a compiled one runs (a small one here: ResNet-34, output stride 16).
expect(2 "unknown encoder 'resnet19'" bench --encoder resnet19)
expect(2 "not compiled|no compiled" bench --size 101 --output-stride 8 --decoder deeplabv3plus --classifier on --rates 2,4,6)
execute_process(COMMAND ${SALT} bench --encoder resnet34 --classifier off --batch 2 --reps 1 --threads 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "training step" OR NOT err MATCHES "1 channel, 128x128, output stride 16, resnet34,")
  message(FATAL_ERROR "salt bench --encoder resnet34 --classifier off: exit ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
expect(2 "--winograd runs fp32 convolutions" train --out ${TMP}/run --winograd --bf16)

if(CUDA)
  expect(2 "must be a non-negative integer" train --out ${TMP}/run --device cuda:x)
  expect(2 "needs a GPU number" train --out ${TMP}/run --device cuda:)
  expect(2 "--bf16 is for the CPU backend" train --out ${TMP}/run --device cuda --bf16)
  expect(2 "--winograd is for the CPU backend" train --out ${TMP}/run --device cuda --winograd)
  # A configuration compiled for the CPU only, asked for on CUDA: refused before any device is opened.
  expect(2 "compiled for the CPU only; the CUDA configurations are: 1 channel, 128x128, output stride 8"
         train --out ${TMP}/run --device cuda --size 101 --output-stride 8 --classifier off)
else()
  expect(2 "built without CUDA" train --out ${TMP}/run --device cuda)
  expect(2 "built without CUDA" bench --device cuda:1)
endif()
# The default model (output stride 16, image classifier) at a size where it is not compiled: the error
# says which options give a compiled one.
expect(2 "with --size 101 or --depth-channel add --output-stride 8 --classifier off" train --out ${TMP}/run --size 101)
if(EXISTS ${TMP}/run)
  message(FATAL_ERROR "a refused salt train created ${TMP}/run")
endif()

# The backends and, in builds with CUDA, the devices (or the one line saying there are none).
execute_process(COMMAND ${SALT} info --backends RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "salt info --backends: exit ${rc}\n${err}")
endif()
if(NOT out MATCHES "backends built into this salt" OR NOT out MATCHES "\n  cpu +simd")
  message(FATAL_ERROR "salt info --backends does not list the CPU backend:\n${out}")
endif()
if(CUDA)
  if(NOT out MATCHES "\n  cuda +CUDA runtime [^\n]*cuDNN [^\n]*configurations: 1 channel, 128x128"
     OR NOT out MATCHES "CUDA devices:\n  (cuda:0|no CUDA driver/device)")
    message(FATAL_ERROR "salt info --backends does not describe the CUDA backend and its devices:\n${out}")
  endif()
elseif(NOT out MATCHES "\n  cuda +not built")
  message(FATAL_ERROR "salt info --backends does not say that CUDA is not built:\n${out}")
endif()
# The full `salt info` ends with the same section, after the layer table.
execute_process(COMMAND ${SALT} info RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "backbone.conv1" OR NOT out MATCHES "backends built into this salt")
  message(FATAL_ERROR "salt info: exit ${rc}, or no layer table / backends:\n${out}")
endif()
execute_process(COMMAND ${SALT} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "devices \\(train, eval, predict, forward, bench --device\\): cpu")
  message(FATAL_ERROR "salt --help does not describe --device:\n${out}")
endif()
file(REMOVE_RECURSE ${TMP})
