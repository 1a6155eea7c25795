#!/usr/bin/env bash
# demo-envs.sh BUILD_DIR - the environments part of the demo (`./run.sh demo`
# runs it after scripts/demo.sh's evidence part; it also runs alone).
#
# A broker with the sandbox driver and the embedded default policy
# (docs/examples/sandbox-policy: re-attest every 5 s, a sandbox's vTPM PCRs
# 8-9 must stay zero) takes a short stream of requests, each a CWT signed by
# a local issuer. For each it shows the attested attributes and their
# confidence, the configuration chosen and why, then the environment's own
# agent (real ephemera-agent, inside the sandbox, on the sandbox's own
# swtpm) enrolling and attesting. One guest is then tampered with (a PCR
# extended inside it) and destroyed within one period; others end by TTL;
# the rest are deleted. It ends with a summary (environments made and ended
# and why, rewards, cost) and a leak check, and cleans up everything.
#
# Needs root (cgroups, namespaces). State: BUILD_DIR/demo-envs/.
set -euo pipefail

build=$(realpath "${1:?usage: demo-envs.sh BUILD_DIR}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work="$build/demo-envs"
period=5

[ "$(id -u)" = 0 ] || { echo "demo-envs.sh: needs root (cgroups, namespaces)" >&2; exit 1; }

broker_pid=
cleanup() {
	if [ -n "$broker_pid" ]; then
		kill "$broker_pid" 2>/dev/null || true
		wait "$broker_pid" 2>/dev/null || true
	fi
	# anything a failure left: processes naming the folder
	pkill -9 -f -- "$work/[e]nvs" 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

"$root/scripts/envs-setup.sh" "$work" "$build" 2>"$work/setup.log" || {
	cat "$work/setup.log" >&2
	exit 1
}
# shellcheck disable=SC1091
. "$work/broker.env"
model="$root/broker/qnet/models/default.cbor"
model_arg=()
[ -s "$model" ] && model_arg=(--qnet-model "$model")
# shellcheck disable=SC2086
"$build/broker/daemon/ephemera-broker" $BROKER_ARGS "${model_arg[@]}" --grace 2 \
	--port 0 --port-file "$work/port" 2>"$work/broker.log" &
broker_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/broker.log" >&2; exit 1; }
url="https://127.0.0.1:$(cat "$work/port")"
ctl() { "$build/broker/ctl/ephemeractl" --broker "$url" --pin "$BROKER_PIN" "$@"; }
sql() { sqlite3 "$work/store.db" "$@"; }

echo "== 8. environments: a broker with the sandbox driver ($url)"
grep -E "driver sandbox|reconciled" "$work/broker.log" | sed 's/^[^ ]* /  /' | cut -c1-150
echo "  policy: docs/examples/sandbox-policy (re-attest every ${period} s, grace 2 s)"
echo

# The request stream: who, role, clearance, data sensitivity, asked CPU
# (milli) and memory (MiB), duration (s). carol asks for secret data, which
# the policy keeps out of sandboxes; erin and frank are short-lived.
stream=(
	"alice analyst 3 internal 500 200 90"
	"bob intern 1 public 250 100 90"
	"carol analyst 4 secret 1000 400 90"
	"dave analyst 2 confidential 250 128 90"
	"erin developer 2 internal 250 128 12"
	"frank developer 2 internal 250 128 14"
)
declare -A env_of
n_req=0
for req in "${stream[@]}"; do
	read -r sub role clr sens cpu mem dur <<<"$req"
	n_req=$((n_req + 1))
	"$build/broker/cwt/ephemera-token" mint --key "$ISSUER_KEY" --iss idp --sub "$sub" \
		--role "$role" --clearance "$clr" --sensitivity "$sens" --vcpu "$cpu" --mem "$mem" \
		--duration "$dur" --ttl 600 --class "$role" -o "$work/$sub.cwt"
	echo "-- request $n_req: $sub ($role, clearance $clr, $sens data) asks ${cpu} mCPU, ${mem} MiB for ${dur} s"
	if ctl --json env create --token "$work/$sub.cwt" >"$work/$sub.json" 2>"$work/$sub.err"; then
		python3 - "$work/$sub.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print("   attested attributes:", ", ".join(
    "%s=%s (%.2f)" % (a["name"], a["value"], a["confidence"]) for a in e.get("attrs", [])))
print("   decision: size %s = %d mCPU / %d MiB, count %d, pre-warm %d, network %s, TTL %d s, re-attest %d s"
      % (e["size"], e["vcpu_milli"], e["mem_mib"], e["count"], e["prewarm"], e["network"],
         e["ttl"], e["reattest"]))
print("   why:", e.get("reason", ""))
PY
		env_of[$sub]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["env_id"])' "$work/$sub.json")
	else
		echo "   refused: $(cat "$work/$sub.err")"
	fi
done

echo
echo "-- provisioning: each sandbox gets its own swtpm; its agent enrols and attests"
deadline=$((SECONDS + 40))
for sub in "${!env_of[@]}"; do
	id=${env_of[$sub]}
	until [ "$(sql "SELECT state FROM environments WHERE id='$id'")" = running ]; do
		[ $SECONDS -lt $deadline ] || { echo "demo-envs.sh: $sub's environment did not come up" >&2; tail -20 "$work/broker.log" >&2; exit 1; }
		sleep 0.2
	done
done
for sub in alice bob dave erin frank; do
	id=${env_of[$sub]:-}
	[ -n "$id" ] || continue
	agent=$(sql "SELECT id FROM agents WHERE env_id='$id'")
	verdicts=$(sql "SELECT count(*) FROM attestations WHERE agent_id='$agent' AND accepted=1")
	how=$(grep "provisioning: $id" "$work/broker.log" | grep -o 'via [a-z]*: [a-z]*' | head -1)
	echo "   $sub: env ${id:0:8} running ($how); agent ${agent:0:8} bound by its vTPM EK; $verdicts attestation(s) accepted"
done
grep "warm pool" "$work/broker.log" | grep "keep" | sed 's/^[^ ]* [A-Z]* /   broker: /' | cut -c1-120 | head -4
grep -m1 "agent bound" "$work/broker.log" | sed 's/^[^ ]* /   broker: /' | cut -c1-170
grep -m1 "attestation accepted" "$work/broker.log" | sed 's/^[^ ]* /   broker: /' | cut -c1-170
agent=$(sql "SELECT id FROM agents WHERE env_id='${env_of[alice]}'")
echo "   alice's environment, as its latest attestation appraised it (AR4SI):"
ctl --json attestations "$agent" | python3 -c '
import json, sys
tiers = {0: "none", 2: "affirming", 32: "warning", 96: "contraindicated"}
a = json.load(sys.stdin)["attestations"][-1]
print("     " + ", ".join("%s %s" % (k.replace("_", "-"), tiers.get(v, v))
                          for k, v in a["ar4si"].items() if v) + "; " + a["reason"])'


echo
echo "-- dave's workload tampers with its guest: PCR 8 of its vTPM is extended"
id=${env_of[dave]}
handle=$(sql "SELECT handle FROM environments WHERE id='$id'")
(
	# shellcheck disable=SC1090
	. "$work/envs/ephemera-$id/tpm/env"
	nsenter -t "${handle##*:}" -n tpm2_pcrextend \
		8:sha256=0101010101010101010101010101010101010101010101010101010101010101
)
t0=$SECONDS
until [ "$(sql "SELECT state FROM environments WHERE id='$id'")" = destroyed ]; do
	[ $((SECONDS - t0)) -le $((period + 3)) ] || { echo "demo-envs.sh: drift not caught in time" >&2; exit 1; }
	sleep 0.2
done
echo "   destroyed $((SECONDS - t0)) s later (period ${period} s):"
grep "destroyed: $id" "$work/broker.log" | sed 's/^[^ ]* /   broker: /' | cut -c1-200

echo
echo "-- erin and frank asked for 12 and 14 s: their TTL ends them"
for sub in erin frank; do
	id=${env_of[$sub]}
	until [ "$(sql "SELECT state FROM environments WHERE id='$id'")" = destroyed ]; do sleep 0.3; done
	echo "   $sub: $(grep "destroyed: $id" "$work/broker.log" | sed 's/^\([^ ]*\) .*: \([^:]*\)$/\2 at \1/')"
done

echo
echo "-- a later request of a class the Q-network pre-warmed: a claim, not a creation"
"$build/broker/cwt/ephemera-token" mint --key "$ISSUER_KEY" --iss idp --sub gina \
	--role developer --clearance 2 --sensitivity internal --vcpu 250 --mem 128 \
	--duration 60 --ttl 600 --class developer -o "$work/gina.cwt"
t0=$(date +%s%N)
ctl --json env create --token "$work/gina.cwt" >"$work/gina.json"
env_of[gina]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["env_id"])' "$work/gina.json")
deadline=$((SECONDS + 30))
until [ "$(sql "SELECT state FROM environments WHERE id='${env_of[gina]}'")" = running ]; do
	[ $SECONDS -lt $deadline ] || { echo "demo-envs.sh: gina's environment did not come up" >&2; grep "${env_of[gina]}" "$work/broker.log" >&2; exit 1; }
	sleep 0.05
done
echo "   gina: running $((($(date +%s%N) - t0) / 1000000)) ms after the request:"
grep "provisioning: ${env_of[gina]}" "$work/broker.log" | sed 's/^[^ ]* [A-Z]* /   broker: /' | cut -c1-190

echo
echo "-- the others are done: delete them"
for sub in alice bob gina; do
	id=${env_of[$sub]}
	ctl env delete "$id" >/dev/null
	until [ "$(sql "SELECT state FROM environments WHERE id='$id'")" = destroyed ]; do sleep 0.2; done
	echo "   $sub: deleted"
done

echo
echo "== summary"
echo "   requests: $((n_req + 1)); environments made: ${#env_of[@]}; refused by policy: $((n_req + 1 - ${#env_of[@]}))"
sql "SELECT '   ended by ' || why || ': ' || count(*) FROM (SELECT CASE WHEN reason LIKE 'drift%'
     THEN 'drift' ELSE reason END AS why FROM env_transitions WHERE to_state = 'destroyed')
     GROUP BY why ORDER BY why"
sql "SELECT '   decisions recorded: ' || count(*) FROM decisions"
sql "SELECT printf('   rewards stored: %d; total cost %.6f cost units; CPU used %.3f s', count(*),
     sum(json_extract(usage,'\$.cost')), sum(json_extract(usage,'\$.cpu_s'))) FROM outcomes"
sql "SELECT printf('   attestations: %d accepted, %d refused', sum(accepted), count(*)-sum(accepted)) FROM attestations"
kill "$broker_pid"
wait "$broker_pid" 2>/dev/null || true
broker_pid=
left=$(pgrep -fc -- "$work/[e]nvs" || true)
cg=$(find /sys/fs/cgroup -maxdepth 8 -type d -name 'ephemera-*' 2>/dev/null | grep -c -f <(printf '%s\n' "${env_of[@]}") || true)
echo "   leaked: ${left:-0} processes, ${cg:-0} cgroups, $(find "$work/envs" -maxdepth 1 -name 'ephemera-*' | wc -l) state folders"
