#!/usr/bin/env bash
# run-sandbox-bench.sh - sandbox time to ready: the sandbox driver cold and
# from a warm pool (each without and with a vTPM) against bare fork+exec,
# unshare, bwrap and crun, on the same trivial commands, in one run.
#
#   sudo bench/run-sandbox-bench.sh            (from any directory; root)
#   RUNS=100 VTPM_RUNS=10 BUILD=build-h-sbxbench bench/run-sandbox-bench.sh
#   GAP_MS=30 VTPM_RUNS=0 bench/run-sandbox-bench.sh   (idle 30 ms before each
#                          run: sandboxes asked for one at a time, not back to back)
#   INSTALL=1 bench/run-sandbox-bench.sh       (apt-get installs missing peers)
#
# 1. builds sandbox_bench in a Release tree (default build-h-sbxbench/);
# 2. prints the machine (nproc, lscpu, kernel, cgroup layout) and the
#    peers' versions;
# 3. runs build/bench/sandbox_bench -n RUNS -v VTPM_RUNS -g GAP_MS -f swtpm-fixtures
#    (see the comment at the top of bench/sandbox_bench.c for what each row
#    times) and prints its two tables;
# 4. checks that nothing of the run is left: no /tmp/ephsbx-bench-* folder,
#    no process naming one, no cgroup of its sandboxes. Exit status 1 if
#    something is.
# A missing peer is a row "n/a: not installed", never a failure.
set -euo pipefail

RUNS=${RUNS:-100}
VTPM_RUNS=${VTPM_RUNS:-10}
GAP_MS=${GAP_MS:-0}
for v in RUNS VTPM_RUNS GAP_MS; do
	case ${!v} in '' | *[!0-9]*)
		echo "$v must be a whole number" >&2
		exit 2
		;;
	esac
done
[ "$RUNS" -gt 0 ] || { echo "RUNS must be positive" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: sandbox bench needs root (cgroups, namespaces, crun)"
	exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-build-h-sbxbench}

if [ "${INSTALL:-0}" = 1 ]; then
	need=()
	command -v crun >/dev/null || need+=(crun)
	command -v bwrap >/dev/null || need+=(bubblewrap)
	command -v swtpm_setup >/dev/null || need+=(swtpm swtpm-tools)
	[ ${#need[@]} = 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi

echo "== build $build/ (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEPH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target sandbox_bench >/dev/null
bench=$build/bench/sandbox_bench

echo "== machine"
echo "nproc:  $(nproc)"
lscpu | head -15
echo "kernel: $(uname -srm)"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	echo "cgroups: v2 (unified)"
elif [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
	echo "cgroups: hybrid (v1 controllers; v2 at /sys/fs/cgroup/unified has:" \
		"$(cat /sys/fs/cgroup/unified/cgroup.controllers))"
else
	echo "cgroups: v1"
fi
echo "== peers"
ver() { if command -v "$1" >/dev/null; then "$@" 2>&1 | head -1; else echo "$1: not installed"; fi; }
ver unshare --version
ver bwrap --version
ver crun --version
ver swtpm --version
echo "== commands"
echo "ours:    $bench -n $RUNS -v $VTPM_RUNS -g $GAP_MS -f $root/swtpm-fixtures"
echo "unshare: unshare --pid --fork --mount --net --uts --ipc CMD"
echo "bwrap:   bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc CMD"
echo "crun:    crun --root WS/crun-state [--cgroup-manager=disabled] run --bundle WS/bundle" \
	"--config WS/bundle/config-{true,byte}.json ID   (bundle: crun spec, edited)"
echo "CMD:     /bin/true | /bin/sh -c 'printf x >WS/run/ready.fifo'"

rc=0
"$bench" -n "$RUNS" -v "$VTPM_RUNS" -g "$GAP_MS" -f "$root/swtpm-fixtures" || rc=$?

echo "== leftovers"
left=0
for d in /tmp/ephsbx-bench-*; do
	[ -e "$d" ] || continue
	echo "LEFTOVER folder $d"
	left=1
done
if pgrep -af 'ephsbx-bench-' | grep -v pgrep; then
	left=1
fi
cg=$(find /sys/fs/cgroup -maxdepth 4 -type d \( -name 'ephemera-sbxb*' -o -name 'ephemera-wsbxb*' \) 2>/dev/null || true)
if [ -n "$cg" ]; then
	echo "LEFTOVER cgroups:"
	echo "$cg"
	left=1
fi
[ "$left" = 0 ] && echo "none (no workspace, process or cgroup of the bench)"
[ "$left" = 0 ] || rc=1
exit "$rc"
