#!/bin/sh
# cross-sysroot.sh ARCH DEST — a private sysroot with the target-arch
# libraries hone links, for the aarch64 and ppc64le cross builds:
# cpu_features and PCRE2 (linked statically), cJSON and libmicrohttpd
# (linked shared: the release artifacts bundle them in lib/hone/, with
# libmicrohttpd's GnuTLS chain, as on x86-64).
#
# Debian multiarch cannot always co-install the -dev packages of a foreign
# architecture (version skew against the host's security updates), so the
# .debs are fetched with `apt-get download` and unpacked with `dpkg -x`.
# The cross gcc brings libc; the toolchain files (toolchains/*.cmake) point
# CMake and pkg-config at DEST and link PCRE2 and cpu_features statically.
#
# What is fetched:
#   - the -dev packages (headers, .pc files, static archives, .so links),
#     without their own Depends: those serve static linking against
#     GnuTLS (libmicrohttpd-dev -> libgnutls28-dev -> DANE -> unbound ...),
#     which hone does not do;
#   - the shared libraries hone links, with the closure of their Depends
#     read from the target architecture's package index (apt-cache depends:
#     libmicrohttpd12 -> libgnutls30 -> nettle, hogweed, gmp, p11-kit,
#     libffi, libidn2, libunistring, libtasn1), less libc6 and libgcc-s1,
#     which the cross gcc brings and every target system has.
# Then every DT_NEEDED of every shared library in the sysroot must be a
# file of the sysroot or glibc's (the list ci/release.sh never bundles): a
# Depends that no longer matches the ELF files stops here, not at link
# time or on a user's machine.
#
# DEST/.hone-sysroot records what was asked for: a sysroot made for another
# request (an older version of this script) is made again.
# DEST/.hone-sysroot-packages lists the packages and versions fetched;
# DEST/.hone-sysroot-files maps each unpacked file to its package (there is
# no dpkg database here: ci/release.sh finds the copyright files with it).
set -eu
arch=${1:?usage: cross-sysroot.sh aarch64|ppc64le DEST}
dest=${2:?usage: cross-sysroot.sh aarch64|ppc64le DEST}
case $arch in
    aarch64) debarch=arm64 triple=aarch64-linux-gnu ;;
    ppc64le) debarch=ppc64el triple=powerpc64le-linux-gnu ;;
    *) echo "cross-sysroot.sh: unknown arch '$arch' (aarch64 or ppc64le)" >&2; exit 2 ;;
esac
dev="libcpu-features-dev libcjson-dev libpcre2-dev libmicrohttpd-dev"
shared="libcjson1 libpcre2-8-0 libmicrohttpd12"
base="libc6 libgcc-s1" # never fetched (see above)
request="$debarch dev: $dev; shared: $shared + Depends but $base"

if [ -f "$dest/.hone-sysroot" ] && [ "$(cat "$dest/.hone-sysroot")" = "$request" ]; then
    exit 0 # already there
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
    echo "cross-sysroot.sh: enabling the $debarch architecture for apt-get download"
    $sudo dpkg --add-architecture "$debarch"
    $sudo apt-get update -qq || $sudo apt-get update -qq || true
fi

command -v readelf > /dev/null || { echo "cross-sysroot.sh: no readelf (apt-get install binutils)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# closure PKG...: the packages and, recursively, their Depends and
# Pre-Depends (the first of alternatives), less $base; one apt-cache call
# per level. Virtual packages are skipped: a library that only a virtual one
# would bring is caught by the DT_NEEDED check below. Names keep apt's
# architecture qualifier (libgnutls30:arm64; none for Architecture: all).
closure() {
    seen="" todo="$*"
    while [ -n "$todo" ]; do
        seen="$seen $todo"
        # shellcheck disable=SC2086 # a word list
        deps=$(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
               --no-replaces --no-enhances $todo) || return 1
        todo=""
        for d in $(printf '%s\n' "$deps" | awk '
            /^ *\|?(Pre)?Depends:/ {
                alt = prev; prev = ($1 ~ /^\|/)
                if (!alt && $2 !~ /^</) print $2
            }' | LC_ALL=C sort -u); do
            case " $base $seen $todo " in *" ${d%%:*} "*|*" $d "*) continue ;; esac
            todo="$todo $d"
        done
    done
    echo "$seen"
}
resolve() {
    pkgs="$(for p in $dev; do printf '%s:%s ' "$p" "$debarch"; done)"
    # shellcheck disable=SC2046 # a word list
    pkgs="$pkgs $(closure $(for p in $shared; do printf '%s:%s ' "$p" "$debarch"; done))"
}
download() {
    # shellcheck disable=SC2086 # a word list
    (cd "$work" && apt-get download $pkgs)
}
if ! { resolve 2>"$work/err" && download 2>"$work/err"; }; then
    # the package lists may lack the foreign architecture's index yet
    $sudo apt-get update -qq || true
    { resolve 2>"$work/err" && download 2>"$work/err"; } || {
        cat "$work/err" >&2
        echo "cross-sysroot.sh: cannot download $dev $shared (and Depends) for $debarch" >&2
        exit 1
    }
fi
mkdir -p "$work/root"
for deb in "$work"/*.deb; do
    dpkg -x "$deb" "$work/root"
    pkg=$(dpkg-deb -f "$deb" Package)
    echo "$pkg $(dpkg-deb -f "$deb" Version)" >> "$work/packages"
    dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n "s|^\./\(..*[^/]\)$|$pkg /\1|p" >> "$work/files"
done
LC_ALL=C sort "$work/packages" > "$work/root/.hone-sysroot-packages"
LC_ALL=C sort "$work/files" > "$work/root/.hone-sysroot-files"

# libmicrohttpd.pc names gnutls in Requires.private, for which pkg-config
# wants gnutls.pc (and those of GnuTLS's own dependencies) even for --cflags
# and --libs. Requires.private serves static linking only, and hone links
# libmicrohttpd shared (its header includes no GnuTLS header): the line goes,
# rather than GnuTLS's whole -dev chain comes.
pc="$work/root/usr/lib/$triple/pkgconfig/libmicrohttpd.pc"
[ -f "$pc" ] || { echo "cross-sysroot.sh: libmicrohttpd-dev:$debarch has no $pc" >&2; exit 1; }
sed -i '/^Requires\.private:/d' "$pc"

# Every shared library's DT_NEEDED: in the sysroot, or glibc's.
libdirs="$work/root/usr/lib/$triple $work/root/lib/$triple"
missing="" checked=0
# shellcheck disable=SC2086 # a word list
for f in $(find $libdirs -maxdepth 1 -type f -name '*.so*' 2>/dev/null | LC_ALL=C sort); do
    for n in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        checked=$((checked + 1))
        case $n in
            libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|ld64.so.*) continue ;;
        esac
        [ -e "$work/root/usr/lib/$triple/$n" ] || [ -e "$work/root/lib/$triple/$n" ] ||
            missing="$missing ${f##*/}->$n"
    done
done
if [ "$checked" -eq 0 ]; then
    echo "cross-sysroot.sh: readelf found no DT_NEEDED in $libdirs: nothing checked" >&2
    exit 1
elif [ -n "$missing" ]; then
    echo "cross-sysroot.sh: no fetched package holds what these libraries need:$missing" >&2
    echo "cross-sysroot.sh: (the Depends of $shared no longer cover their DT_NEEDED?)" >&2
    exit 1
fi

echo "$request" > "$work/root/.hone-sysroot"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$work/root" "$dest"
rm -rf "$dest.old"
echo "cross-sysroot.sh: $arch sysroot ready in $dest: $(cut -d' ' -f1 "$dest/.hone-sysroot-packages" | tr '\n' ' ')"
