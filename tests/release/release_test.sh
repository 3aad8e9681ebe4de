#!/bin/bash
# release_test.sh CHECK SOURCE_DIR WORK_DIR [MODEL] — checks of ci/release.sh
#   repro    two release builds of the x86-64 artifacts, each from its own
#            copy of the source in its own directory: byte-identical
#            tarballs and manifest; the manifest valid against its schema
#   minbase  every artifact on a minimal Debian 12 root with no package
#            added: x86-64 in a chroot of `mmdebstrap --variant=minbase
#            bookworm` (v2 also under qemu -cpu Nehalem), aarch64 and
#            ppc64le under qemu-user with a root holding libc6 only (a
#            foreign minbase needs binfmt_misc); `hone info` and `hone run`
#            on the stories model, `hone serve` (/health, /completion)
#   cross-serve (4th argument ARCH: aarch64 | ppc64le)  the quick one for
#            the cross artifacts' server: the ARCH artifact of this source
#            (its build tree kept in WORK_DIR between runs), unpacked, its
#            `hone serve` under qemu-user on the Debian root holding libc6
#            only, on the built-in model: /health, a short /completion,
#            libmicrohttpd and GnuTLS mapped from the artifact's lib/hone/,
#            exit 0 on SIGTERM. Exit 77 (SKIP) without the cross gcc,
#            qemu-user or a Debian root for ARCH.
# Roots are cached in ~/.cache/hone/ (HONE_ROOTFS_CACHE).
set -euo pipefail
check=$1 src=$(cd "$2" && pwd) work=$3 model=${4:-}
# cross-serve keeps its build tree (an incremental build is what makes it
# quick); the others start from nothing
if [ "$check" = cross-serve ]; then rm -rf "$work/dist" "$work/unpack"; else rm -rf "$work"; fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/../lib/http.sh"

# A copy of the tracked and untracked (not ignored) files, as repro.sh does.
snapshot() { # DEST
    mkdir -p "$1"
    (cd "$src" && git ls-files -z -co --exclude-standard | xargs -0 tar cf - 2>/dev/null) |
        (cd "$1" && tar xf -)
}
: "${SOURCE_DATE_EPOCH:=$(git -C "$src" log -1 --format=%ct)}"
export SOURCE_DATE_EPOCH
commit=$(git -C "$src" rev-parse --short=12 HEAD)

release() { # SOURCE_COPY OUT BUILD TARGET...
    local s=$1 o=$2 b=$3
    shift 3
    HONE_COMMIT=$commit bash "$s/ci/release.sh" --out "$o" --build "$b" "$@" \
        > "$o.log" 2>&1 || { tail -20 "$o.log"; fail "ci/release.sh $*"; }
}

case $check in
repro)
    snapshot "$work/a/src"
    snapshot "$work/second/copy-of-the-source/src"
    release "$work/a/src" "$work/a/dist" "$work/a/build" linux-x86_64-v3 linux-x86_64-v2
    release "$work/second/copy-of-the-source/src" "$work/second/dist" "$work/second/b" \
        linux-x86_64-v3 linux-x86_64-v2
    for f in hone-*-linux-x86_64-v3.tar.gz hone-*-linux-x86_64-v2.tar.gz manifest.json SHA256SUMS; do
        a=$(cd "$work/a/dist" && sha256sum $f)
        b=$(cd "$work/second/dist" && sha256sum $f)
        echo "$a"
        [ "$a" = "$b" ] || fail "$f differs between the two release builds: $b"
    done
    python3 "$src/tests/build_info/validate_schema.py" "$src/ci/release-manifest.schema.json" \
        "$work/a/dist/manifest.json" || fail "manifest.json does not match its schema"
    (cd "$work/a/dist" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
    # nothing from the build host: no path, no host name, no CPU
    for t in "$work"/a/dist/*.tar.gz; do
        if tar xzf "$t" -O --wildcards '*/bin/hone' | strings | grep -F -e "$work" -e "$src" > /dev/null; then
            fail "$t: the binary holds a build path"
        fi
        bi=$(tar xzf "$t" -O --wildcards '*/lib/hone/build_info.json')
        grep -q '"cpu_model":[[:space:]]*null' <<<"$bi" || fail "$t: build_info.json names the build CPU"
        grep -q "\"hostname\":[[:space:]]*null" <<<"$bi" || fail "$t: build_info.json names the build host"
    done
    rm -rf "$work"
    echo "ok: identical release tarballs and manifest"
    ;;
minbase)
    [ "$(id -u)" -eq 0 ] || { echo "SKIP: chroot needs root"; exit 0; }
    command -v mmdebstrap >/dev/null || { echo "SKIP: no mmdebstrap (apt-get install mmdebstrap)"; exit 0; }
    [ -f "$model" ] || fail "no model $model"
    snapshot "$work/src"
    release "$work/src" "$work/dist" "$work/build" linux-x86_64-v3 linux-x86_64-v2 \
        linux-aarch64 linux-ppc64le-power10
    run_in() { # ROOT QEMU(-|name [cpu]) TARGET: unpack, info, run
        local root=$1 qemu=$2 cpu=$3 t=$4 dir name
        name=$(basename "$work"/dist/hone-*-"$t".tar.gz .tar.gz)
        dir=$root/opt/hone-test
        rm -rf "$dir" && mkdir -p "$dir"
        tar xzf "$work/dist/$name.tar.gz" -C "$dir"
        cp "$model" "$dir/model.gguf"
        local exe=/opt/hone-test/$name/bin/hone out
        if [ "$qemu" = - ]; then
            out=$(chroot "$root" "$exe" info 2>&1) || fail "$t: hone info in the minbase chroot: $out"
            grep -q "^hone " <<<"$out" || fail "$t: hone info said: $out"
            out=$(chroot "$root" "$exe" run -p "Once upon a time" -n 8 --temp 0 2>&1) ||
                fail "$t: hone run (the built-in model) in the minbase chroot: $out"
            grep -q "using the built-in default model /opt/.*/share/hone/models/" <<<"$out" ||
                fail "$t: the artifact's built-in model was not used: $out"
            # hone serve: its libmicrohttpd (and GnuTLS's chain) come with the
            # artifact
            local port
            port=$(free_port)
            serve_smoke "$work/serve-$t.log" "$port" "$dir/$name/lib/hone" \
                chroot "$root" "$exe" serve --port "$port" || fail "$t: hone serve in the minbase chroot"
            # libcurl is loaded only by `hone pull`, and a bare root has none
            local pull
            pull=$(chroot "$root" "$exe" pull http://127.0.0.1:9/x.gguf -o /tmp 2>&1) &&
                fail "$t: hone pull without libcurl succeeded: $pull"
            grep -q "downloading needs libcurl, which is not installed (apt-get install libcurl4)" <<<"$pull" ||
                fail "$t: hone pull without libcurl said: $pull"
        elif [ "$qemu" = qemu-x86_64-static ]; then
            cp "$(command -v $qemu)" "$root/opt/hone-test/qemu"
            out=$(chroot "$root" /opt/hone-test/qemu -cpu "$cpu" "$exe" run \
                  -m /opt/hone-test/model.gguf -p "Once upon a time" -n 8 --temp 0 2>&1) ||
                fail "$t: hone run under qemu -cpu $cpu in the chroot: $out"
        else
            out=$(QEMU_LD_PREFIX=$root "$qemu" -cpu "$cpu" "$root$exe" info 2>&1) ||
                fail "$t: hone info under $qemu -cpu $cpu: $out"
            local port
            port=$(free_port)
            serve_smoke "$work/serve-$t.log" "$port" "$dir/$name/lib/hone" \
                env QEMU_LD_PREFIX="$root" "$qemu" -cpu "$cpu" "$root$exe" serve --port "$port" ||
                fail "$t: hone serve under $qemu -cpu $cpu"
            out=$(QEMU_LD_PREFIX=$root "$qemu" -cpu "$cpu" "$root$exe" run -m "$dir/model.gguf" \
                  -p "Once upon a time" -n 8 --temp 0 2>&1) || fail "$t: hone run under $qemu: $out"
        fi
        grep -q "Once upon a time" <<<"$out" || fail "$t: no text from hone run: $out"
        echo "$t ($qemu${cpu:+ -cpu $cpu}): $(echo "$out" | grep -m1 'kernels')"
        rm -rf "$dir"
    }
    amd64=$(root_of amd64)
    [ -n "$amd64" ] || { echo "SKIP: mmdebstrap could not make a Debian root (package mirror?)"; exit 0; }
    # as in any real system or container: /proc (the loader resolves $ORIGIN
    # through /proc/self/exe) and /sys (topology)
    mounted=()
    cleanup() { for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
    trap cleanup EXIT
    mount -t proc proc "$amd64/proc" && mounted+=("$amd64/proc") || fail "cannot mount /proc in the root"
    mount --bind /sys "$amd64/sys" && mounted+=("$amd64/sys") || fail "cannot mount /sys in the root"
    run_in "$amd64" - "" linux-x86_64-v3
    run_in "$amd64" - "" linux-x86_64-v2
    run_in "$amd64" qemu-x86_64-static Nehalem linux-x86_64-v2
    for spec in arm64:qemu-aarch64-static:max:linux-aarch64 \
        ppc64el:qemu-ppc64le-static:power10:linux-ppc64le-power10; do
        IFS=: read -r arch qemu cpu t <<< "$spec"
        command -v "$qemu" >/dev/null || { echo "SKIP $t: no $qemu"; continue; }
        root=$(root_of "$arch")
        [ -n "$root" ] || { echo "SKIP $t: mmdebstrap could not make a $arch root (package mirror?)"; continue; }
        run_in "$root" "$qemu" "$cpu" "$t"
    done
    cleanup
    mounted=()
    rm -rf "$work"
    echo "ok: every artifact runs (info, run, serve) on a bare Debian 12 root"
    ;;
cross-serve)
    arch=${4:?cross-serve needs ARCH (aarch64 or ppc64le)}
    case $arch in
        aarch64) t=linux-aarch64 triple=aarch64-linux-gnu debarch=arm64 cpu=max ;;
        ppc64le) t=linux-ppc64le-power10 triple=powerpc64le-linux-gnu debarch=ppc64el cpu=power10 ;;
        *) fail "unknown arch '$arch'" ;;
    esac
    command -v "$triple-gcc" > /dev/null || { echo "SKIP: no $triple-gcc (apt-get install gcc-$triple)"; exit 77; }
    qemu=$(command -v "qemu-$arch-static" || command -v "qemu-$arch") ||
        { echo "SKIP: no qemu-$arch (apt-get install qemu-user-static)"; exit 77; }
    root=$(root_of "$debarch")
    [ -n "$root" ] || { echo "SKIP: no Debian $debarch root (mmdebstrap, package mirror?)"; exit 77; }
    # from the source itself: release.sh writes only to --out and --build
    (cd "$src" && HONE_COMMIT=$commit JOBS=${JOBS:-2} bash ci/release.sh --out "$work/dist" \
        --build "$work/build" "$t") > "$work/release.log" 2>&1 ||
        { tail -30 "$work/release.log"; fail "ci/release.sh $t"; }
    name=$(basename "$work"/dist/hone-*-"$t".tar.gz .tar.gz)
    mkdir -p "$work/unpack"
    tar xzf "$work/dist/$name.tar.gz" -C "$work/unpack"
    exe=$work/unpack/$name/bin/hone
    out=$(QEMU_LD_PREFIX=$root "$qemu" -cpu "$cpu" "$exe" serve --help 2>&1) ||
        fail "$t: hone serve --help under $qemu: $out"
    port=$(free_port)
    serve_smoke "$work/serve.log" "$port" "$work/unpack/$name/lib/hone" \
        env QEMU_LD_PREFIX="$root" "$qemu" -cpu "$cpu" "$exe" serve --port "$port" ||
        fail "$t: hone serve under $qemu -cpu $cpu on $root"
    grep -q "stories260K-q8_0.gguf" "$work/serve.log" || fail "$t: not the built-in model: $(cat "$work/serve.log")"
    echo "$t ($qemu -cpu $cpu): $(head -n 1 "$work/serve.log")"
    echo "ok: the $t artifact serves under qemu-user with its bundled libmicrohttpd and GnuTLS"
    ;;
*) fail "unknown check '$check'" ;;
esac
