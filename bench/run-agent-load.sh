#!/usr/bin/env bash
# run-agent-load.sh - drive N concurrent agents against a fresh ephemera-broker
# on 127.0.0.1 and print appraisals/s and latency percentiles, with the
# command, the broker and the swtpm versions in the same output.
#
# Usage: bench/run-agent-load.sh [-n AGENTS] [-s SECONDS] [BUILD_DIR]
#   -n  concurrent agents (default 4), each with its own swtpm
#   -s  seconds of load (default 10)
#   BUILD_DIR  where agent_load, ephemera-broker live (default: build)
#
# Sets up: one CA, N swtpms (swtpm-fixtures/swtpm-up.sh), a firmware boot on
# each (firmware-boot.sh: the event log matches the PCRs, so every round is
# accepted), a self-signed broker certificate, the broker (fresh store, port
# 0). Tears everything down on exit, whatever happens.
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
src=$(dirname -- "$here")
fx=$src/swtpm-fixtures
n=4
secs=10
while getopts "n:s:h" o; do
	case $o in
	n) n=$OPTARG ;;
	s) secs=$OPTARG ;;
	*) sed -n '2,14p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=$(cd -- "${1:-$src/build}" && pwd -P)
load=$build/bench/agent_load
broker=$build/broker/daemon/ephemera-broker
for b in "$load" "$broker"; do
	[ -x "$b" ] || { echo "run-agent-load.sh: $b not built" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/eph-agent-load.XXXXXX)
broker_pid=""
cleanup() {
	[ -z "$broker_pid" ] || { kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null || true; }
	for d in "$tmp"/tpm*; do
		[ -d "$d" ] && "$fx/swtpm-down.sh" --wipe "$d" >/dev/null 2>&1 || true
	done
	rm -rf -- "$tmp"
}
trap cleanup EXIT INT TERM

args=()
for i in $(seq 1 "$n"); do
	tcti=$("$fx/swtpm-up.sh" --ca "$tmp/ca" "$tmp/tpm$i" 2>"$tmp/up$i.log")
	"$fx/firmware-boot.sh" "$tmp/tpm$i" "$tmp/boot$i.log" >/dev/null 2>&1
	args+=(--agent "$tcti,$tmp/boot$i.log")
done
"$fx/swtpm-ca.sh" "$tmp/ca" "$tmp/trust" >/dev/null
pin=$("$broker" --gen-self-signed "$tmp/broker" | awk '$1 == "pin" {print $2}')
"$broker" --port 0 --port-file "$tmp/port" --tls-cert "$tmp/broker/broker-cert.pem" \
	--tls-key "$tmp/broker/broker-key.pem" --store "$tmp/store.db" \
	--ek-trust "$tmp/trust" 2>"$tmp/broker.log" &
broker_pid=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/port" ] && break
	sleep 0.05
done
[ -s "$tmp/port" ] || { echo "broker did not start:" >&2; cat "$tmp/broker.log" >&2; exit 1; }
url=https://127.0.0.1:$(cat "$tmp/port")

echo "command           $0 -n $n -s $secs $build"
echo "peer              $("$broker" --version 2>&1 | head -1) at $url, store $tmp/store.db (fresh)"
echo "tpm               $(swtpm --version 2>&1 | head -1), $n instances"
echo "machine           $(nproc) cores, $(uname -sr)"
"$load" --broker "$url" --pin "$pin" --state-root "$tmp/agents" --seconds "$secs" "${args[@]}"
