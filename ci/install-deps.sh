#!/bin/bash
# install-deps.sh — install the Debian packages hone's builds and tests need,
# only those missing (a warm machine skips apt entirely), non-interactively.
# `apt-get update` may fail on one index while a mirror syncs: retry once,
# then go on with the lists we have.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
    build-essential cmake make pkg-config git python3 file clang
    libcpu-features-dev libopenblas-dev libcurl4-openssl-dev libcjson-dev
    libmicrohttpd-dev libcmocka-dev libpcre2-dev
    qemu-user-static gcc-aarch64-linux-gnu gcc-powerpc64le-linux-gnu mmdebstrap
    libc6-dev-arm64-cross libc6-dev-ppc64el-cross # only recommended by the cross gccs
)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

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
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
apt_update
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
