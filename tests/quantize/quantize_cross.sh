#!/bin/sh
# quantize_cross.sh ARCH CROSS_ROOT MAKE_ODD_MODEL SHARED_DIR DIGESTS
#
# The cross build of ARCH (aarch64, ppc64le POWER10: tests/cross builds it
# into CROSS_ROOT/cross-ARCH) under qemu-user must write the same bytes as
# llama-quantize too: the quantizers are plain C, but another compiler
# back end may turn a loop into instructions with other corner cases (it
# did: a max giving -0 on POWER10). The cases of DIGESTS on the
# odd-shapes model (every type, every fallback; quick under qemu).
# SKIP (77) without qemu or the cross build.
set -u
arch=$1 root=$2 odd_tool=$3 shared=$4 digests=$5
case $arch in
    aarch64) triple=aarch64-linux-gnu cpu="" ;;
    ppc64le) triple=powerpc64le-linux-gnu cpu=power10 ;;
    *) echo "FAIL: unknown arch $arch"; exit 1 ;;
esac
qemu=$(command -v "qemu-$arch-static" || command -v "qemu-$arch") ||
    { echo "SKIP: no qemu-$arch"; exit 77; }
dir=$root/cross-$arch
[ -x "$dir/src/hone" ] || { echo "SKIP: no cross build in $dir"; exit 77; }
sysroot=$(sed -n 's/^HONE_SYSROOT:PATH=//p' "$dir/CMakeCache.txt" 2>/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/hone" <<EOS
#!/bin/sh
exec "$qemu" ${cpu:+-cpu $cpu} -L "/usr/$triple" \
    -E "LD_LIBRARY_PATH=/usr/$triple/lib:$sysroot/usr/lib/$triple" "$dir/src/hone" "\$@"
EOS
chmod +x "$tmp/hone"
grep '^odd ' "$digests" > "$tmp/digests"
sh "$(dirname "$0")/quantize_digests.sh" "$tmp/hone" "$odd_tool" "$shared" "$tmp/digests"
