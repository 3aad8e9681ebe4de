#!/bin/bash
# build.sh PRESET — configure, build and test one variant, as CI does
# (warnings are errors). Cross presets build and run `hone info` under qemu.
#   portable | native | debug | aarch64 | ppc64le
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: ci/build.sh portable|native|debug|aarch64|ppc64le}
jobs=${JOBS:-2}

case $preset in
portable)
    make test WERROR=ON JOBS="$jobs"
    ;;
native|debug)
    cmake --preset "$preset" -DHONE_WERROR=ON
    cmake --build --preset "$preset" -j "$jobs"
    ctest --preset "$preset" -j "$jobs" -LE slow
    ;;
aarch64|ppc64le)
    sh ci/cross-sysroot.sh "$preset" "${HONE_SYSROOT:-$HOME/.cache/hone/sysroot-$preset}"
    cmake --preset "$preset" -DHONE_WERROR=ON
    cmake --build --preset "$preset" -j "$jobs"
    src=$(pwd)
    # the preset's tree is build/<preset>; run its binary under qemu
    ln -sfn "$src/build/$preset" "$src/build/cross-$preset"
    sh tests/cross/cross.sh info "$preset" "$src" "$src/build" build_info/build_info.schema.json
    if [ "$preset" = ppc64le ]; then
        sh tests/cross/cross.sh refuse ppc64le "$src" "$src/build" power9
    fi
    ;;
*)
    echo "unknown preset $preset" >&2
    exit 2
    ;;
esac
