#!/bin/bash
# image-manifest.sh REPO VERSION — the multi-arch image REPO:VERSION, a
# manifest list over the pushed per-target images (amd64 -> x86-64-v3, the
# zero-compile build; arm64 -> aarch64; ppc64le -> power10). The
# x86-64-v2 image stays reachable by its own tag only.
set -euo pipefail
repo=${1:?usage: ci/image-manifest.sh REPO VERSION}
version=${2:?usage: ci/image-manifest.sh REPO VERSION}
docker buildx imagetools create -t "$repo:$version" \
    "$repo:$version-x86-64-v3" "$repo:$version-aarch64" "$repo:$version-power10"
docker buildx imagetools inspect "$repo:$version"
