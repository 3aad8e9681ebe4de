#!/bin/bash
# release.sh — the release artifacts of one commit: one self-contained
# tarball per CPU target, plus manifest.json and SHA256SUMS.
#
#   usage: ci/release.sh [--out DIR] [--build DIR] [TARGET...]
#   targets: linux-x86_64-v3 (the portable zero-compile build: every x86
#            kernel set inside, AVX-512 included, chosen at start-up),
#            linux-x86_64-v2 (CPUs without AVX2: x86-64-v2 baseline),
#            linux-aarch64 (ARMv8.2-A + dotprod, the i8mm set inside),
#            linux-ppc64le-power10;  default: all four
#   --out DIR    where the tarballs and manifest go (default dist/)
#   --build DIR  build trees (default build/release/)
#   --manifest-only  build nothing: write manifest.json and SHA256SUMS over
#                the tarballs already in --out (the per-target CI jobs')
#
# Each tarball hone-<version>-<target>.tar.gz holds
#   hone-<version>-<target>/bin/hone
#   hone-<version>-<target>/lib/hone/build_info.json   (no build host in it)
#   hone-<version>-<target>/lib/hone/lib*.so.*         (what Debian ships no
#                                                       usable archive of:
#                                                       cJSON, libmicrohttpd
#                                                       and GnuTLS's chain)
#   hone-<version>-<target>/share/doc/hone/            (the licenses)
# and runs on a minimal Debian 12 (glibc only). cpu_features and PCRE2 are
# linked statically (HONE_RELEASE=ON); the binary finds lib/hone/ through
# its $ORIGIN-relative DT_RPATH.
#
# Reproducible: the same commit gives byte-identical tarballs in any
# directory (the reproducible portable build, SOURCE_DATE_EPOCH = the commit
# time, sorted tar entries, owner 0, fixed mtimes, gzip -n).
# The cross targets need the cross gcc, the sysroots (ci/cross-sysroot.sh,
# made or refreshed by the toolchain file; HONE_SYSROOT_AARCH64 and
# HONE_SYSROOT_PPC64LE move them) and qemu-user (build_info.json is written
# by the built binary).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
out=dist
bdir=build/release
targets=()
manifest_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --manifest-only) manifest_only=1; shift ;;
        --out) out=$2; shift 2 ;;
        --build) bdir=$2; shift 2 ;;
        -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        linux-*) targets+=("$1"); shift ;;
        *) echo "release.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || [ $manifest_only -eq 1 ] ||
    targets=(linux-x86_64-v3 linux-x86_64-v2 linux-aarch64 linux-ppc64le-power10)
mkdir -p "$out" "$bdir"
out=$(cd "$out" && pwd)
bdir=$(cd "$bdir" && pwd)
JOBS=${JOBS:-2}

# HONE_COMMIT: for a source snapshot without .git (tests)
commit=${HONE_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
version=$(sed -n 's/^project(hone VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "release.sh: no version in CMakeLists.txt" >&2; exit 1; }

# The sysroot of a cross target (ci/cross-sysroot.sh); "" for the host's.
target_sysroot() {
    case $1 in
        linux-aarch64) echo "${HONE_SYSROOT_AARCH64:-$HOME/.cache/hone/sysroot-aarch64}" ;;
        linux-ppc64le-power10) echo "${HONE_SYSROOT_PPC64LE:-$HOME/.cache/hone/sysroot-ppc64le}" ;;
    esac
}
# The CMake arguments of a target (the cross ones build against the same
# sysroot the bundling below reads).
target_args() {
    case $1 in
        linux-x86_64-v3) echo "-DHONE_VARIANT=portable -DHONE_X86_LEVEL=v3" ;;
        linux-x86_64-v2) echo "-DHONE_VARIANT=portable -DHONE_X86_LEVEL=v2" ;;
        linux-aarch64) echo "-DCMAKE_TOOLCHAIN_FILE=$src/toolchains/aarch64.cmake -DHONE_SYSROOT=$(target_sysroot "$1")" ;;
        linux-ppc64le-power10) echo "-DCMAKE_TOOLCHAIN_FILE=$src/toolchains/ppc64le.cmake -DHONE_SYSROOT=$(target_sysroot "$1")" ;;
        *) echo "release.sh: unknown target '$1'" >&2; return 1 ;;
    esac
}
# Where the target's shared libraries live (to bundle what hone needs).
target_libdirs() {
    case $1 in
        linux-x86_64-*) echo "/usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu" ;;
        linux-aarch64) echo "$(target_sysroot "$1")/usr/lib/aarch64-linux-gnu $(target_sysroot "$1")/lib/aarch64-linux-gnu" ;;
        linux-ppc64le-power10) echo "$(target_sysroot "$1")/usr/lib/powerpc64le-linux-gnu $(target_sysroot "$1")/lib/powerpc64le-linux-gnu" ;;
    esac
}
# Where the copyright files of those packages are.
target_docdir() {
    echo "$(target_sysroot "$1")/usr/share/doc"
}
# The Debian package that ships FILE (a real path), for its copyright file:
# dpkg's database on the host; a sysroot has none, but its file list
# (.hone-sysroot-files, written by ci/cross-sysroot.sh).
owner_pkg() { # TARGET FILE
    local root
    root=$(target_sysroot "$1")
    if [ -z "$root" ]; then
        dpkg -S "$2" 2>/dev/null | head -n 1 | cut -d: -f1 || true
    else
        root=$(realpath "$root") # as FILE is: symlinks resolved
        awk -v f="${2#"$root"}" '$2 == f { print $1; exit }' "$root/.hone-sysroot-files" 2>/dev/null || true
    fi
}
# The libraries a glibc system always has: never bundled.
is_glibc() {
    case $1 in
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|ld64.so.*) return 0 ;;
    esac
    return 1
}

build_target() {
    local t=$1 b="$bdir/$1" name="hone-$version-$1"
    local stage="$bdir/$1-stage/$name"
    echo "== $t: building in $b" >&2
    # shellcheck disable=SC2046
    cmake -S "$src" -B "$b" $(target_args "$t") -DCMAKE_BUILD_TYPE=Release -DHONE_RELEASE=ON \
        -DHONE_BUILD_TESTS=OFF -DHONE_WERROR="${WERROR:-OFF}" -DHONE_GIT_COMMIT_OVERRIDE="$commit" \
        > "$b.configure.log" 2>&1 || { cat "$b.configure.log" >&2; return 1; }
    cmake --build "$b" -j "$JOBS" > "$b.build.log" 2>&1 || { tail -30 "$b.build.log" >&2; return 1; }
    rm -rf "$bdir/$1-stage"
    mkdir -p "$stage"
    cmake --install "$b" --prefix "$stage" > /dev/null
    [ -f "$stage/bin/hone" ] && [ -f "$stage/lib/hone/build_info.json" ] ||
        { echo "release.sh: $t: bin/hone or lib/hone/build_info.json missing" >&2; return 1; }

    # bundle every shared library hone needs beyond glibc, and theirs in
    # turn (libmicrohttpd -> GnuTLS -> ...): hone's DT_RPATH finds them all
    local needed lib dir found pkg todo=("$stage/bin/hone") doc=$(target_docdir "$t")
    mkdir -p "$stage/share/doc/hone"
    while [ ${#todo[@]} -gt 0 ]; do
        needed=$(readelf -d "${todo[0]}" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
        todo=("${todo[@]:1}")
        for lib in $needed; do
            is_glibc "$lib" && continue
            [ -e "$stage/lib/hone/$lib" ] && continue
            found=
            for dir in $(target_libdirs "$t"); do
                if [ -e "$dir/$lib" ]; then found="$dir/$lib"; break; fi
            done
            [ -n "$found" ] || { echo "release.sh: $t: hone needs $lib, not found to bundle" >&2; return 1; }
            cp -L "$found" "$stage/lib/hone/$lib"
            chmod 0644 "$stage/lib/hone/$lib"
            todo+=("$stage/lib/hone/$lib")
            # its license: the copyright file of the Debian package that
            # ships it; a library without one is not shipped
            pkg=$(owner_pkg "$t" "$(realpath "$found")")
            if [ -z "$pkg" ] || [ ! -f "$doc/$pkg/copyright" ]; then
                echo "release.sh: $t: no Debian copyright file for $found (package '${pkg:-?}')" >&2
                return 1
            fi
            cp "$doc/$pkg/copyright" "$stage/share/doc/hone/$pkg.copyright"
        done
    done
    # the licenses of what is linked in statically, and of cJSON (Debian's
    # copyright files)
    for pkg in libcpu-features-dev:cpu_features libpcre2-8-0:pcre2 libcjson1:cjson; do
        if [ -f "$doc/${pkg%%:*}/copyright" ]; then
            cp "$doc/${pkg%%:*}/copyright" "$stage/share/doc/hone/${pkg##*:}.copyright"
        else
            echo "release.sh: $t: no copyright file for ${pkg%%:*} in $doc" >&2
            return 1
        fi
    done
    cat > "$stage/share/doc/hone/README" <<EOF
hone $version ($t), commit $commit.
Linked in: cpu_features (Apache-2.0) and PCRE2 (BSD-3-Clause) statically;
the shared libraries in lib/hone/ (cJSON, MIT; libmicrohttpd, LGPL-2.1+,
for "hone serve", with GnuTLS and its dependencies): their licenses are
beside this file.
Run: bin/hone --help
EOF
    chmod 0644 "$stage/share/doc/hone/"* "$stage/lib/hone/build_info.json"
    chmod 0755 "$stage/bin/hone"

    # a deterministic tarball
    find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    tar --sort=name --owner=0 --group=0 --numeric-owner --format=gnu \
        --mtime="@$SOURCE_DATE_EPOCH" -C "$(dirname "$stage")" -cf - "$name" |
        gzip -n -9 > "$out/$name.tar.gz.tmp"
    mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
    echo "$out/$name.tar.gz" >&2
}

for t in "${targets[@]}"; do
    target_args "$t" > /dev/null
    build_target "$t"
done

# manifest.json (schema: ci/release-manifest.schema.json) and SHA256SUMS,
# over every tarball of this version in $out, read from the tarballs
# themselves (so per-target jobs can be assembled); one of another commit
# is an error, not a silent mix.
python3 - "$out" "$version" "$commit" "$SOURCE_DATE_EPOCH" <<'PY'
import hashlib, json, os, sys, tarfile, time
out, version, commit, epoch = sys.argv[1:5]
# preferred among the artifacts a CPU can run: the highest
prio = {"linux-x86_64-v3": 30}
arts = []
prefix = f"hone-{version}-"
for f in sorted(os.listdir(out)):
    if not (f.startswith(prefix) and f.endswith(".tar.gz")):
        continue
    target = f[len(prefix):-len(".tar.gz")]
    path = os.path.join(out, f)
    with tarfile.open(path) as tf:
        bi = json.load(tf.extractfile(f"{prefix}{target}/lib/hone/build_info.json"))
    if not commit.startswith(bi["git_commit"]) and not bi["git_commit"].startswith(commit):
        sys.exit(f"release.sh: {f} is of commit {bi['git_commit']}, not {commit}: remove it")
    data = open(path, "rb").read()
    arts.append({"name": target, "file": f, "arch": bi["arch"],
                 "target_isa": bi["target_isa"], "priority": prio.get(target, 10),
                 "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
if not arts:
    sys.exit(f"release.sh: no {prefix}*.tar.gz in {out}")
manifest = {"schema_version": 1, "version": version, "commit": commit,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch))),
            "artifacts": arts}
tmp = os.path.join(out, "manifest.json.tmp")
with open(tmp, "w") as fh:
    json.dump(manifest, fh, indent=2, sort_keys=True)
    fh.write("\n")
os.replace(tmp, os.path.join(out, "manifest.json"))
tmp = os.path.join(out, "SHA256SUMS.tmp")
with open(tmp, "w") as fh:
    for a in arts:
        fh.write(f"{a['sha256']}  {a['file']}\n")
os.replace(tmp, os.path.join(out, "SHA256SUMS"))
for a in arts:
    print(f"{a['file']}: {a['size']} bytes, priority {a['priority']}, needs {' '.join(a['target_isa'])}")
PY
