#!/bin/bash
# image_test.sh SOURCE_DIR WORK_DIR — the zero-compile image, built offline:
# a Debian 12 minbase root (mmdebstrap, rootfs.sh) imported with buildah as
# the base, the x86-64-v3 release artifact of this source, ci/image.sh
# (buildah bud --pull=never), then inside the image with `buildah run`:
# `hone info`, `hone run` on the built-in model, a non-root user, the
# /health HEALTHCHECK. Images go to a private storage in WORK_DIR (vfs,
# chroot isolation). Skips where buildah cannot run.
set -uo pipefail
src=$(cd "$1" && pwd) work=$2
fail() { echo "FAIL: $*"; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the test image is x86-64"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: buildah (vfs, chroot) needs root here"; exit 0; }
command -v buildah >/dev/null || { echo "SKIP: no buildah (apt-get install buildah)"; exit 0; }
command -v mmdebstrap >/dev/null || { echo "SKIP: no mmdebstrap"; exit 0; }
rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/../lib/http.sh"
cat > "$work/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$work/run"
graphroot = "$work/storage"
CONF
export CONTAINERS_STORAGE_CONF=$work/storage.conf STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot

root=$(root_of amd64)
[ -n "$root" ] || { echo "SKIP: mmdebstrap could not make a Debian root (package mirror?)"; exit 0; }
ctr=$(buildah from scratch) || fail "buildah from scratch"
buildah add "$ctr" "$root" / > /dev/null && buildah commit -q "$ctr" localhost/hone-test-base:bookworm > /dev/null ||
    fail "importing the minbase root as a base image"
buildah rm "$ctr" > /dev/null

mkdir -p "$work/src"
(cd "$src" && git ls-files -z -co --exclude-standard | xargs -0 tar cf - 2>/dev/null) | (cd "$work/src" && tar xf -)
HONE_COMMIT=$(git -C "$src" rev-parse --short=12 HEAD) SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct) \
    bash "$work/src/ci/release.sh" --out "$work/dist" --build "$work/build" linux-x86_64-v3 \
    > "$work/release.log" 2>&1 || { tail -20 "$work/release.log"; fail "ci/release.sh"; }
out=$(bash "$work/src/ci/image.sh" linux-x86_64-v3 --dist "$work/dist" \
      --base localhost/hone-test-base:bookworm --tag localhost/hone:test 2>&1) || fail "ci/image.sh: $out"
echo "image: $out"

ctr=$(buildah from --pull=never localhost/hone:test) || fail "buildah from the image"
info=$(buildah run "$ctr" -- hone info 2>&1) || fail "hone info in the image: $info"
grep -q "^hone .*portable build" <<<"$info" || fail "hone info in the image said: $info"
# the story from stdout alone: through buildah the two streams are relayed
# apart, and stderr's notice could land inside the text
run=$(buildah run "$ctr" -- hone run -p "Once upon a time" -n 8 --temp 0 2>"$work/run.err") ||
    fail "hone run in the image: $run $(cat "$work/run.err")"
grep -q "Once upon a time, there" <<<"$run" ||
    fail "no story from the built-in model: $run (stderr: $(cat "$work/run.err"))"
# what the image is for: hone serve answers /health
port=$(free_port)
buildah run "$ctr" -- hone serve --port "$port" > "$work/serve.log" 2>&1 &
spid=$!
code=$(wait_status "http://127.0.0.1:$port/health" 200 100)
kill -TERM $spid 2>/dev/null
pkill -TERM -f "hone serve --port $port" 2>/dev/null
wait $spid 2>/dev/null
[ "$code" = 200 ] || fail "hone serve in the image: /health $code: $(cat "$work/serve.log")"
uid=$(buildah run "$ctr" -- id -u) || fail "id in the image"
[ "$uid" = 65532 ] || fail "the image runs as uid $uid, not a non-root user"
buildah rm "$ctr" > /dev/null
hc=$(buildah inspect --format '{{.Docker.Config.Healthcheck}}' localhost/hone:test)
grep -q "/health" <<<"$hc" || fail "no /health HEALTHCHECK: $hc"
ep=$(buildah inspect --format '{{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.Cmd}}' localhost/hone:test)
grep -q "/opt/hone/bin/hone.*serve" <<<"$ep" || fail "the image does not run hone serve: $ep"
echo "ok: the zero-compile image runs hone (info, run, serve), as uid $uid, $ep"
