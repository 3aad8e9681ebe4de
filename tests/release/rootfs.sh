# rootfs.sh — sourced by the delivery tests: root_of DEBARCH prints a
# cached Debian 12 root for that architecture ("" if none can be made):
# amd64 is `mmdebstrap --variant=minbase bookworm`; the others hold libc6
# only (`--variant=extract`: a foreign minbase needs binfmt_misc to run its
# maintainer scripts, which these machines lack). Cached in $cache
# (~/.cache/hone), made again only when missing.
cache=${HONE_ROOTFS_CACHE:-$HOME/.cache/hone}
# The machine's own Debian mirror, bookworm main only: a root needs no
# security suite, whose index is often mid-sync for the other arches.
mirror=$(apt-cache policy 2>/dev/null | awk '$3 == "bookworm/main" {print $2; exit}')
sources=()
[ -n "$mirror" ] && sources=("deb $mirror bookworm main")
# qemu-user's -L prefix follows an absolute symlink (lib64/ld64.so.2 ->
# /lib/...) on the host: make the root's absolute links relative.
relative_links() { # ROOT
    local l t
    find "$1" -type l -lname '/*' | while read -r l; do
        t=$(readlink "$l")
        ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$1$t")" "$l"
    done
}
root_of() { # DEBARCH -> a cached root for it, "" if none can be made
    local arch=$1 dir="$cache/rootfs-bookworm-$1" try
    for try in 1 2 3; do
        [ -f "$dir/.hone-rootfs" ] && break
        rm -rf "$dir.tmp"
        if [ "$arch" = amd64 ]; then
            mmdebstrap --quiet --variant=minbase bookworm "$dir.tmp" "${sources[@]}" >&2
        else
            mmdebstrap --quiet --variant=extract --arch="$arch" --include=libc6 bookworm \
                "$dir.tmp" "${sources[@]}" >&2 &&
                relative_links "$dir.tmp"
        fi && rm -rf "$dir" && mv "$dir.tmp" "$dir" && touch "$dir/.hone-rootfs" && break
        [ $try -lt 3 ] && sleep 15 # a mirror in the middle of a sync
    done
    if [ -f "$dir/.hone-rootfs" ]; then echo "$dir"; else rm -rf "$dir.tmp"; fi
}
