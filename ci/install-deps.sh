#!/bin/bash
# install-deps.sh — install the Debian packages hone's builds and tests need,
# only those missing (a warm machine skips apt entirely), non-interactively.
#   usage: ci/install-deps.sh [build|all]
#   build: what building hone from source needs (make install-source)
#   all:   that, plus the test tools (cross compilers, qemu, mmdebstrap...)
# `apt-get update` may fail on one index while a mirror syncs: retry once,
# then go on with the lists we have.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

BUILD_PACKAGES=(
    build-essential cmake make pkg-config git python3
    libcpu-features-dev libopenblas-dev libcurl4-openssl-dev libcjson-dev
    libmicrohttpd-dev libcmocka-dev libpcre2-dev
)
TEST_PACKAGES=(
    file clang curl
    qemu-user-static gcc-aarch64-linux-gnu gcc-powerpc64le-linux-gnu mmdebstrap buildah
    libc6-dev-arm64-cross libc6-dev-ppc64el-cross # only recommended by the cross gccs
)
case ${1:-all} in
    build) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
    all) PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
    *) echo "usage: install-deps.sh [build|all]" >&2; exit 2 ;;
esac


installed() { # any architecture's instance counts
    dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed
}

apt_update() {
    $sudo apt-get update -qq && return 0
    echo "apt-get update failed; retrying once"
    sleep 5
    $sudo apt-get update -qq || echo "warning: apt-get update failed twice; continuing with the lists we have"
}

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done
# the npm test tools (tests/npm) need node and npm: Debian's, unless the
# machine has them already (e.g. from another source)
if [ "${1:-all}" = all ] && ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "install-deps: not root and no sudo: as root, run apt-get install ${missing[*]}" >&2
        exit 1
    }
    sudo="sudo"
fi
apt_update
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
