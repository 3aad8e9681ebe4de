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
check() { # check CPU: hone_isa_check under qemu -cpu CPU, output to $out
    echo "running $dir/kernels/hone_isa_check under $qemu -cpu $1"
    "$qemu" -cpu "$1" -L "/usr/$triple" \
        -E "LD_LIBRARY_PATH=/usr/$triple/lib:$sysroot/usr/lib/$triple" \
        "$dir/kernels/hone_isa_check" --require "$set" > "$out" 2>&1
    rc=$?
    cat "$out"
    [ $rc -eq 0 ] || fail "hone_isa_check under -cpu $1 (exit $rc)"
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
check "$cpu"
# aarch64: also a dotprod CPU without i8mm (the build's baseline is
# ARMv8.2 + dotprod), where the SDOT build must be the one chosen
if [ "$arch" = aarch64 ]; then
    if "$qemu" -cpu help 2>/dev/null | grep -q neoverse-n1; then
        check neoverse-n1
        grep -q "neon: with dotprod (SDOT)" "$out" || fail "neoverse-n1 did not get the SDOT build"
    else
        echo "note: this qemu has no neoverse-n1 model; SDOT-only dispatch not checked"
    fi
fi
echo "ok: $arch kernel sets match generic under qemu"
