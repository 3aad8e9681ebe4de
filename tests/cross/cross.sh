#!/bin/sh
# Cross builds under qemu-user, and the ISA guard on older CPUs.
#
#   cross.sh build   ARCH SRC BUILDROOT WERROR   configure + build the cross hone
#   cross.sh info    ARCH SRC BUILDROOT SCHEMA   run `hone info` under qemu
#   cross.sh refuse  ARCH SRC BUILDROOT QEMUCPU  older CPU: exit 2 + message, no SIGILL
#   cross.sh nehalem HONE                        the x86-64 binary on a pre-AVX CPU
#
# Exit 77 (ctest SKIP) only when qemu-user or the cross gcc is absent.
set -u
mode=$1
shift
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

find_qemu() {
    for q in "qemu-$1-static" "qemu-$1"; do
        command -v "$q" > /dev/null 2>&1 && { command -v "$q"; return 0; }
    done
    return 1
}

# Check that a guarded run refused cleanly: exit 2, a message naming the
# features, never a signal (SIGILL would be 132 from the shell, or qemu's
# "uncaught target signal").
expect_refusal() {
    rc=$1 out=$2 want=$3
    cat "$out"
    grep -q "uncaught target signal\|Illegal instruction" "$out" && fail "killed by a signal"
    [ "$rc" -eq 2 ] || fail "expected exit 2 (clean refusal), got $rc"
    grep -q "needs .*$want" "$out" || fail "message does not name $want"
    grep -q "make install" "$out" || fail "message does not give the fix"
    echo "ok: clean refusal"
}

if [ "$mode" = nehalem ]; then
    hone=$1
    qemu=$(find_qemu x86_64) || skip "qemu-x86_64 not installed (apt-get install qemu-user-static)"
    tmp=$(mktemp)
    "$qemu" -cpu Nehalem "$hone" info > "$tmp" 2>&1
    rc=$?
    expect_refusal $rc "$tmp" avx2
    rm -f "$tmp"
    exit 0
fi

arch=$1 src=$2 root=$3
case $arch in
    aarch64) triple=aarch64-linux-gnu ;;
    ppc64le) triple=powerpc64le-linux-gnu ;;
    *) fail "unknown arch $arch" ;;
esac
command -v "$triple-gcc" > /dev/null 2>&1 ||
    skip "no $triple-gcc (apt-get install gcc-$triple): $arch cross build not tested"
qemu=$(find_qemu "$arch") || skip "no qemu-$arch (apt-get install qemu-user-static): $arch not tested"
dir=$root/cross-$arch
sysroot=$(sed -n 's/^HONE_SYSROOT:PATH=//p' "$dir/CMakeCache.txt" 2>/dev/null)
run() { # run CPU ARGS... : the cross hone under qemu
    cpu=$1
    shift
    "$qemu" ${cpu:+-cpu "$cpu"} -L "/usr/$triple" \
        -E "LD_LIBRARY_PATH=/usr/$triple/lib:$sysroot/usr/lib/$triple" "$dir/src/hone" "$@"
}
default_cpu=""
[ "$arch" = ppc64le ] && default_cpu=power10

case $mode in
build)
    werror=$4
    cmake -S "$src" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$src/toolchains/$arch.cmake" \
        -DHONE_VARIANT=cross -DCMAKE_BUILD_TYPE=Release -DHONE_BUILD_TESTS=OFF \
        -DHONE_WERROR="$werror" > "$dir.log" 2>&1 || { cat "$dir.log"; fail "configure"; }
    cmake --build "$dir" --target hone hone_build_info_json -j 2 >> "$dir.log" 2>&1 ||
        { tail -40 "$dir.log"; fail "cross build for $arch"; }
    file "$dir/src/hone" 2>/dev/null || true
    echo "ok: built $dir/src/hone"
    ;;
info)
    schema=$4
    [ -x "$dir/src/hone" ] || fail "no cross-built hone in $dir (the build test failed?)"
    run "$default_cpu" --version || fail "hone --version under qemu"
    run "$default_cpu" info || fail "hone info under qemu"
    out=$(mktemp)
    run "$default_cpu" info --json > "$out" || fail "hone info --json under qemu"
    python3 "$(dirname "$0")/../build_info/validate_schema.py" "$schema" "$out" "$dir/src/build_info.json" ||
        fail "JSON does not match the schema"
    grep -q "\"arch\":.*\"$arch\"" "$out" || fail "arch is not $arch"
    grep -q '"build_type":.*"cross"' "$out" || fail "build_type is not cross"
    if [ "$arch" = aarch64 ]; then
        # no AT_HWCAP2 bits here: cpu_features would print on stdout
        run neoverse-n1 info --json > "$out" || fail "hone info --json under qemu -cpu neoverse-n1"
        python3 "$(dirname "$0")/../build_info/validate_schema.py" "$schema" "$out" ||
            fail "JSON on neoverse-n1 does not match the schema (stray output?)"
    fi
    rm -f "$out"
    echo "ok: $arch hone info under qemu"
    ;;
refuse)
    cpu=$4
    [ -x "$dir/src/hone" ] || fail "no cross-built hone in $dir (the build test failed?)"
    out=$(mktemp)
    run "$cpu" info > "$out" 2>&1
    rc=$?
    expect_refusal $rc "$out" "arch31"
    rm -f "$out"
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
