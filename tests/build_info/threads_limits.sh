#!/bin/sh
# threads_limits.sh HONE MODEL — the thread count obeys the limits of the
# machine that runs the binary, not the build host's record:
#   1. build_info.json saying 64 + `taskset -c 0`  -> 1 thread;
#   2. HONE_THREADS=8 + `taskset -c 0`             -> 1 thread, warned;
#   3. -t 3 + `taskset -c 0`                       -> 3 threads, warned;
#   4. a cgroup CPU quota of 1 CPU (v2 cpu.max or v1 cfs quota), where this
#      machine lets us make one (root, writable cgroup fs)  -> 1 thread.
set -u
hone=$1 model=$2
tmp=$(mktemp -d)
cg=""
cleanup() {
    [ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v taskset >/dev/null || { echo "SKIP: no taskset"; exit 0; }
# this build's own build_info.json, as if built on a 64-core host
HONE_BUILD_INFO= "$hone" info --json | sed 's/"optimal_threads":[[:space:]]*[0-9]*/"optimal_threads": 64/' > "$tmp/bi.json"
grep -q '"optimal_threads": 64' "$tmp/bi.json" || fail "could not make a build_info.json saying 64"

out=$(HONE_BUILD_INFO="$tmp/bi.json" taskset -c 0 "$hone" info)
echo "$out" | grep -q "this run uses 1 (detected; at most 1 CPUs here)" ||
    fail "build_info optimal_threads 64 under taskset -c 0: $(echo "$out" | grep threads)"

out=$(HONE_THREADS=8 taskset -c 0 "$hone" run -m "$model" -n 2 -p Once 2>&1)
echo "$out" | grep -q "kernels .*, 1 threads" || fail "HONE_THREADS=8 under taskset -c 0: $out"
echo "$out" | grep -q "warning: HONE_THREADS=8 is more than the 1 CPUs" || fail "no warning: $out"

out=$(taskset -c 0 "$hone" run -m "$model" -n 2 -p Once -t 3 2>&1)
echo "$out" | grep -q "kernels .*, 3 threads" || fail "-t 3 not obeyed: $out"
echo "$out" | grep -q "warning: -t 3 is more than the 1 CPUs" || fail "-t 3: no warning: $out"
echo "taskset: ok"

# A cgroup with a quota of one CPU, if we may make one.
self=$(cat /proc/self/cgroup)
if [ -w /sys/fs/cgroup/cgroup.subtree_control ] 2>/dev/null &&
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    cg=/sys/fs/cgroup/hone-test-$$
    mkdir "$cg" 2>/dev/null && echo "100000 100000" > "$cg/cpu.max" 2>/dev/null || cg=""
elif [ -w /sys/fs/cgroup/cpu ]; then
    cg=/sys/fs/cgroup/cpu/hone-test-$$
    mkdir "$cg" 2>/dev/null && echo 100000 > "$cg/cpu.cfs_period_us" &&
        echo 100000 > "$cg/cpu.cfs_quota_us" 2>/dev/null || cg=""
fi
if [ -z "$cg" ]; then
    echo "SKIP cgroup: this machine does not let the test make a cgroup ($self)"
    exit 0
fi
out=$(sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" info' sh "$cg" "$hone")
echo "$out" | grep -q "this run uses 1 (detected; at most 1 CPUs here)" ||
    fail "cgroup quota of 1 CPU: $(echo "$out" | grep -i 'threads\|quota')"
out=$(sh -c 'echo $$ > "$1/cgroup.procs" && exec env HONE_THREADS=4 "$2" run -m "$3" -n 2 -p Once' \
    sh "$cg" "$hone" "$model" 2>&1)
echo "$out" | grep -q "kernels .*, 1 threads" || fail "HONE_THREADS=4 in a 1-CPU cgroup: $out"
echo "cgroup ($cg): ok"
