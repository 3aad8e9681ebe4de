#!/bin/sh
# isa_qemu.sh ARCH SRC ROOT WERROR
#
# Cross-builds tests/kernels/isa_check.c (target hone_isa_check, and only
# what it links) for ARCH in ROOT/cross-ARCH — the directory
# tests/cross/cross.sh uses, configured the same way, so the two share
# objects — then runs it under qemu-user on a CPU that has the arch's SIMD
# set, which must be tested and match generic:
#   aarch64  qemu-aarch64 -cpu max       set neon (SDOT and ARMv8.0 builds)
#   ppc64le  qemu-ppc64le -cpu power10   set power10
# Exit 77 (ctest SKIP) only when the cross gcc or qemu-user is missing.
set -u
arch=$1 src=$2 root=$3 werror=$4
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

case $arch in
    aarch64) triple=aarch64-linux-gnu cpu=max set=neon ;;
    ppc64le) triple=powerpc64le-linux-gnu cpu=power10 set=power10 ;;
    *) fail "unknown arch $arch" ;;
esac
command -v "$triple-gcc" > /dev/null 2>&1 ||
    skip "no $triple-gcc (apt-get install gcc-$triple): $arch kernels not tested"
qemu=""
for q in "qemu-$arch-static" "qemu-$arch"; do
    command -v "$q" > /dev/null 2>&1 && { qemu=$(command -v "$q"); break; }
done
[ -n "$qemu" ] || skip "no qemu-$arch (apt-get install qemu-user-static): $arch kernels not tested"

dir=$root/cross-$arch
mkdir -p "$root"
log=$dir-isa.log
cmake -S "$src" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$src/toolchains/$arch.cmake" \
    -DHONE_VARIANT=cross -DCMAKE_BUILD_TYPE=Release -DHONE_BUILD_TESTS=OFF \
    -DHONE_WERROR="$werror" > "$log" 2>&1 || { cat "$log"; fail "configure ($arch)"; }
cmake --build "$dir" --target hone_isa_check -j 2 >> "$log" 2>&1 ||
    { tail -40 "$log"; fail "cross build of hone_isa_check for $arch"; }
sysroot=$(sed -n 's/^HONE_SYSROOT:PATH=//p' "$dir/CMakeCache.txt")
echo "running $dir/kernels/hone_isa_check under $qemu -cpu $cpu"
"$qemu" -cpu "$cpu" -L "/usr/$triple" \
    -E "LD_LIBRARY_PATH=/usr/$triple/lib:$sysroot/usr/lib/$triple" \
    "$dir/kernels/hone_isa_check" --require "$set"
