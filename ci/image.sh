#!/bin/bash
# image.sh — the zero-compile image of one release target (images/Containerfile).
#
#   usage: ci/image.sh TARGET [--dist DIR] [--tag NAME] [--base IMAGE] [--push]
#   TARGET   linux-x86_64-v3 | linux-x86_64-v2 | linux-aarch64 | linux-ppc64le-power10
#   --dist   where the release tarballs are (default dist/, `make release`)
#   --tag    image name (default hone:<version>-<suffix>: x86-64-v3,
#            x86-64-v2, aarch64, power10)
#   --base   the base image (default docker.io/library/debian:12-slim)
#   --push   push the image after building it
# HONE_IMAGE_TOOL=buildah (default) or docker (docker buildx: CI); buildah
# honours STORAGE_DRIVER / BUILDAH_ISOLATION and --pull=never when the base
# is local (localhost/...). Prints the image's name and size.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: ci/image.sh TARGET [--dist DIR] [--tag NAME] [--base IMAGE] [--push]}
shift
dist=dist tag="" base="" push=0
while [ $# -gt 0 ]; do
    case $1 in
        --dist) dist=$2; shift 2 ;;
        --tag) tag=$2; shift 2 ;;
        --base) base=$2; shift 2 ;;
        --push) push=1; shift ;;
        *) echo "image.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case $target in
    linux-x86_64-v3) platform=linux/amd64 suffix=x86-64-v3 ;;
    linux-x86_64-v2) platform=linux/amd64 suffix=x86-64-v2 ;;
    linux-aarch64) platform=linux/arm64 suffix=aarch64 ;;
    linux-ppc64le-power10) platform=linux/ppc64le suffix=power10 ;;
    *) echo "image.sh: unknown target '$target'" >&2; exit 2 ;;
esac
tarball=$(ls "$dist"/hone-*-"$target".tar.gz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo "image.sh: no $dist/hone-*-$target.tar.gz: run make release" >&2; exit 1; }
version=$(basename "$tarball" | sed "s/^hone-\(.*\)-$target\.tar\.gz$/\1/")
tag=${tag:-hone:$version-$suffix}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
tar xzf "$tarball" -C "$ctx"
mv "$ctx/hone-$version-$target" "$ctx/hone"
cp images/Containerfile "$ctx/Containerfile"
args=(--platform "$platform" -f "$ctx/Containerfile" -t "$tag")
[ -n "$base" ] && args+=(--build-arg "BASE=$base")

case ${HONE_IMAGE_TOOL:-buildah} in
    buildah)
        [[ "$base" == localhost/* ]] && args+=(--pull=never)
        buildah bud --quiet --format docker --layers=false "${args[@]}" "$ctx" > /dev/null
        [ $push -eq 0 ] || buildah push "$tag"
        size=$(buildah images --format '{{.Size}}' "$tag" | head -n 1)
        ;;
    docker)
        if [ $push -eq 1 ]; then args+=(--push); else args+=(--load); fi
        docker buildx build "${args[@]}" "$ctx"
        size=$(docker image inspect --format '{{.Size}}' "$tag" 2>/dev/null || echo pushed)
        ;;
    *) echo "image.sh: HONE_IMAGE_TOOL must be buildah or docker" >&2; exit 2 ;;
esac
echo "$tag ($platform): $size"
