#!/usr/bin/env bash
# run-fleet-load.sh - the fleet-size ramp: thousands of simulated agents
# (software TPM identities, bench/fleet_load.c + softtpm.c) re-attesting
# every PERIOD seconds against one fresh ephemera-broker on 127.0.0.1.
# Prints the machine, the commands, one line per fleet size and connection
# model, and the largest fleet held with p99 under the limit.
#
# Usage: bench/run-fleet-load.sh [--quick] [-- FLEET_LOAD_OPTION...]
#   --quick   a smoke run for CI (< 1 min): 100 and 300 agents, 5 s period,
#             2 s warm-up, 8 s windows
#   default   (< 10 min once built) 100, 250, 500, 1000, 2000, 4000, 8000
#             agents at a 10 s period, 5 s warm-up + 15 s window per step,
#             first with pooled keep-alive connections, then with one
#             connection per agent; each ramp stops at the first fleet that
#             misses p99 < 50 ms or sees an error
#   Options after -- go to fleet_load (e.g. -- --steps 500,1000 --conn pool
#   --ek rsa); later ones win.
# Environment: BUILD (build folder, default build-bench, configured Release
# if new), EVENTLOG (a firmware event log to send; default: one made by
# swtpm-fixtures/mklog.py; "none" for quotes alone), STORE_DIR (a folder
# for the broker's SQLite store instead of the mktemp folder, e.g. /dev/shm
# to take the disk's fsync out of the picture; the store is removed too),
# BROKER (another ephemera-broker binary, e.g. a patched one, to compare),
# NICE (e.g. -10: run the broker and the generator at that nice level, so
# that other work on a shared machine takes less of their CPU; printed).
#
# Sets up in a mktemp folder: the bench's EK CA (fleet_load --init-ca, the
# broker's --ek-trust), a self-signed broker certificate, broker.json with
# the period, a fresh store. Everything is removed and the broker stopped
# on exit, whatever happens.
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
src=$(dirname -- "$here")
quick=0
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--) shift; extra=("$@"); break ;;
	*) sed -n '2,32p' "$0"; exit 2 ;;
	esac
done
build=${BUILD:-$src/build-bench}
case $build in /*) ;; *) build=$src/$build ;; esac

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" ||
	echo "note: $build is not a Release build; figures are not comparable" >&2
make -C "$build" -j2 fleet_load ephemera-broker >/dev/null
load=$build/bench/fleet_load
broker=${BROKER:-$build/broker/daemon/ephemera-broker}

tmp=$(mktemp -d /tmp/eph-fleet-load.XXXXXX)
broker_pid=""
store=${STORE_DIR:-$tmp}/eph-fleet-store.$$.db
cleanup() {
	if [ -n "$broker_pid" ]; then
		kill "$broker_pid" 2>/dev/null || true
		wait "$broker_pid" 2>/dev/null || true
		# It must be gone: a stray broker would skew the next run.
		if kill -0 "$broker_pid" 2>/dev/null; then
			kill -9 "$broker_pid" 2>/dev/null || true
		fi
	fi
	rm -f -- "$store" "$store-wal" "$store-shm"
	rm -rf -- "$tmp"
}
trap cleanup EXIT INT TERM

if [ $quick = 1 ]; then
	period=5
	args=(--steps 100,300 --period 5 --warmup 2 --window 8)
else
	period=10
	args=(--steps 100,250,500,1000,2000,4000,8000 --period 10 --warmup 5 --window 15)
fi

# The firmware event log every simulated agent sends (an OVMF-like boot).
evarg=()
elog=${EVENTLOG:-}
if [ -z "$elog" ] && command -v python3 >/dev/null; then
	python3 "$src/swtpm-fixtures/mklog.py" "$tmp/boot.log" >/dev/null && elog=$tmp/boot.log
fi
[ -n "$elog" ] && [ "$elog" != none ] && evarg=(--eventlog "$elog")

"$load" --init-ca "$tmp/ca" >/dev/null
pin=$("$broker" --gen-self-signed "$tmp/broker" | awk '$1 == "pin" {print $2}')
mkdir -p "$tmp/policy"
printf '{ "reattest_s": %d, "require_eventlog": %s }\n' "$period" \
	"$([ ${#evarg[@]} -gt 0 ] && echo true || echo false)" >"$tmp/policy/broker.json"
# One descriptor per connection on both sides with one connection per agent.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nicecmd=()
[ -n "${NICE:-}" ] && nicecmd=(nice -n "$NICE")
"${nicecmd[@]}" "$broker" --port 0 --port-file "$tmp/port" --tls-cert "$tmp/broker/broker-cert.pem" \
	--tls-key "$tmp/broker/broker-key.pem" --store "$store" \
	--ek-trust "$tmp/ca/trust" --policy "$tmp/policy" 2>"$tmp/broker.log" &
broker_pid=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/port" ] && break
	sleep 0.05
done
[ -s "$tmp/port" ] || { echo "broker did not start:" >&2; cat "$tmp/broker.log" >&2; exit 1; }
url=https://127.0.0.1:$(cat "$tmp/port")

echo "== machine"
echo "cpu:      $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) online"
lscpu | head -n 8 | sed 's/^/lscpu:    /'
echo "kernel:   $(uname -sr)"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (other work shares these cores)"
echo "ulimit:   -n $(ulimit -n); nice ${NICE:-0} for the broker and the generator"
echo "curl:     $(curl --version 2>/dev/null | head -1 || echo n/a)"
echo "openssl:  $(openssl version 2>/dev/null || echo n/a)"
echo "== peer"
echo "broker:   $("$broker" --version 2>&1 | head -1) at $url (pid $broker_pid), fresh store $store, policy reattest_s $period"
echo "== command"
echo "$0${quick:+ }$([ $quick = 1 ] && echo --quick)"
echo "$load --broker $url --pin PIN --ca TMP/ca --broker-pid $broker_pid ${evarg[*]:+--eventlog LOG} ${args[*]} ${extra[*]:-}"
echo "== figures"
rc=0
"${nicecmd[@]}" "$load" --broker "$url" --pin "$pin" --ca "$tmp/ca" --broker-pid "$broker_pid" \
	"${evarg[@]}" "${args[@]}" "${extra[@]}" || rc=$?
if ! kill -0 "$broker_pid" 2>/dev/null; then
	echo "the broker died during the run; its last lines:" >&2
	tail -n 20 "$tmp/broker.log" >&2
	rc=1
fi
echo "broker:   $(grep -c 'attestation accepted' "$tmp/broker.log" || true) accepted attestations logged, $(grep -c ' WARN \| ERROR ' "$tmp/broker.log" || true) warning/error lines"
exit $rc
