#!/bin/sh
# refuse_kernels.sh QEMU HONE MODELS_DIR — forcing a kernel set the (emulated)
# CPU lacks must fail with a one-line error naming the missing features.
# Usage from CTest: a Haswell CPU (AVX2, no AVX-512) and HONE_KERNELS=avx512.
qemu=$1 hone=$2 models=$3
model=$(ls "$models"/*.gguf 2>/dev/null | head -n 1)
[ -n "$model" ] || { echo "no model in $models"; exit 1; }
out=$(HONE_KERNELS=avx512 "$qemu" -cpu Haswell "$hone" run -m "$model" -p "Once" -n 1 2>&1)
rc=$?
echo "$out" | tail -n 3
[ $rc -ne 0 ] || { echo "expected a non-zero exit, got 0"; exit 1; }
echo "$out" | grep -q "HONE_KERNELS: kernel set 'avx512' needs CPU features this CPU lacks: avx512f" ||
    { echo "expected the missing-feature message"; exit 1; }
echo "$out" | grep -q "lacks: avx2" && { echo "listed a feature the CPU has"; exit 1; }
echo ok
