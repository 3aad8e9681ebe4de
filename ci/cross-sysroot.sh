#!/bin/sh
# cross-sysroot.sh ARCH DEST — a private sysroot with the target-arch
# libraries hone links (cpu_features, cJSON, PCRE2), for the aarch64 and
# ppc64le cross builds.
#
# Debian multiarch cannot always co-install the -dev packages of a foreign
# architecture (version skew against the host's security updates), so the
# .debs are fetched with `apt-get download` and unpacked with `dpkg -x`.
# The cross gcc brings libc; the toolchain files (toolchains/*.cmake) point
# CMake and pkg-config at DEST and link PCRE2 and cpu_features statically.
set -eu
arch=${1:?usage: cross-sysroot.sh aarch64|ppc64le DEST}
dest=${2:?usage: cross-sysroot.sh aarch64|ppc64le DEST}
case $arch in
    aarch64) debarch=arm64 ;;
    ppc64le) debarch=ppc64el ;;
    *) echo "cross-sysroot.sh: unknown arch '$arch' (aarch64 or ppc64le)" >&2; exit 2 ;;
esac
pkgs="libcpu-features-dev libcjson-dev libcjson1 libpcre2-dev libpcre2-8-0"

if [ -f "$dest/.hone-sysroot" ] && [ "$(cat "$dest/.hone-sysroot")" = "$debarch $pkgs" ]; then
    exit 0 # already there
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
    echo "cross-sysroot.sh: enabling the $debarch architecture for apt-get download"
    $sudo dpkg --add-architecture "$debarch"
    $sudo apt-get update -qq || $sudo apt-get update -qq || true
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
download() {
    (cd "$work" && apt-get download $(for p in $pkgs; do printf '%s:%s ' "$p" "$debarch"; done))
}
if ! download 2>"$work/err"; then
    # the package lists may lack the foreign architecture's index yet
    $sudo apt-get update -qq || true
    download 2>"$work/err" || { cat "$work/err" >&2; echo "cross-sysroot.sh: cannot download $pkgs for $debarch" >&2; exit 1; }
fi
mkdir -p "$work/root"
for deb in "$work"/*.deb; do
    dpkg -x "$deb" "$work/root"
done
echo "$debarch $pkgs" > "$work/root/.hone-sysroot"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$work/root" "$dest"
rm -rf "$dest.old"
echo "cross-sysroot.sh: $arch sysroot ready in $dest"
