#!/usr/bin/env bash
# demo.sh BUILD_DIR - the main job at this stage of Ephemera, called by
# `./run.sh demo`:
#
#  1. start a software TPM (swtpm, EK certificate from a local CA) and boot it
#     the way UEFI firmware measures, writing the TCG event log;
#  2. parse and replay that log with ephemera-eventlog and print the PCRs;
#  3. read the TPM's own PCRs (tpm2_pcrread) and check the replay matches,
#     then have the TPM quote them with an attestation key over a fresh nonce
#     and verify the quote (ephemera-checkquote);
#  4. boot a second TPM whose log lies about the kernel command line and show
#     the verifier naming the PCR that gives it away;
#  5. run the broker (TLS 1.3, its key pinned by the agents) with the honest
#     boot's PCRs as golden values, and an ephemera-agent round for each
#     guest: enrolment with credential activation, then attestation, accepted
#     for guest 1 and refused for guest 2; list the agents with ephemeractl;
#  6. replay an IMA measurement list into PCR 10;
#  7. if this machine has a readable firmware log of its own, replay that too;
#  8. environments (scripts/demo-envs.sh): a broker with the sandbox driver
#     takes a stream of signed requests, makes sandboxes whose own agents
#     attest with their own vTPMs, catches a tampered one within one period,
#     ends others by TTL and delete, and sums up (nothing leaked).
#
# Everything it starts is stopped on exit; state lives in BUILD_DIR/demo/.
set -euo pipefail

build=$(realpath "${1:?usage: demo.sh BUILD_DIR}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli="$build/firmware-eventlog/ephemera-eventlog"
fx="$root/swtpm-fixtures"
vectors=$(realpath -m "${EPH_VECTORS:-$root/../shared/vectors}")
work="$build/demo"
[ -x "$cli" ] || {
	echo "demo.sh: $cli is not built" >&2
	exit 1
}

broker_pid=
cleanup() {
	[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
	"$fx/swtpm-down.sh" --wipe "$work/guest1" >/dev/null 2>&1 || true
	"$fx/swtpm-down.sh" --wipe "$work/guest2" >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

banks="sha1:0,1,2,3,4,5,6,7,8+sha256:0,1,2,3,4,5,6,7,8"

# quiet NAME CMD...: run CMD with its chatter in $work/NAME.log, shown only
# if it fails.
quiet() {
	local name=$1
	shift
	if ! "$@" >"$work/$name.log" 2>&1; then
		cat "$work/$name.log" >&2
		echo "demo.sh: $name failed" >&2
		exit 1
	fi
}

echo "== 1. a software TPM with an EK certificate, booted like UEFI firmware"
quiet up-guest1 "$fx/swtpm-up.sh" --ca "$work/ca" "$work/guest1"
# shellcheck disable=SC1091
. "$work/guest1/env"
quiet boot-guest1 "$fx/firmware-boot.sh" "$work/guest1" "$work/guest1.log"
quiet trust "$fx/swtpm-ca.sh" "$work/ca" "$work/trust"
quiet ekcert tpm2_nvread -C o 0x01c00002 -o "$work/ek-rsa.der"
echo "swtpm on $EPH_TCTI; EK certificate:"
openssl x509 -inform DER -in "$work/ek-rsa.der" -noout -issuer -serial | sed 's/^/  /'
printf '  chain: %s\n' "$(openssl verify -CAfile "$work/trust/swtpm-ca-root.pem" \
	-untrusted "$work/trust/swtpm-ca-issuer.pem" "$work/ek-rsa.der" 2>&1 | sed 's|.*: ||')"

echo
echo "== 2. the event log, parsed and replayed (tpm2_eventlog format)"
"$cli" "$work/guest1.log" >"$work/guest1.yaml"
echo "$(grep -c '^- EventNum:' "$work/guest1.yaml") events; the first two and the replayed PCRs:"
awk '/^- EventNum: 2$/{exit} {print}' "$work/guest1.yaml" | sed -n '1,60p'
echo "  [...]"
sed -n '/^pcrs:/,$p' "$work/guest1.yaml"

echo
echo "== 3. the TPM's own PCRs against the replay"
tpm2_pcrread "$banks" >"$work/guest1-pcrs.yaml"
if "$cli" --compare="$work/guest1-pcrs.yaml" --pcrs-only "$work/guest1.log" >/dev/null; then
	echo "tpm2_pcrread $banks: every PCR equals the replay -> the log is the boot's true record"
else
	echo "UNEXPECTED: the honest log does not match its TPM" >&2
	exit 1
fi

echo
echo "== 3b. the TPM vouches for those PCRs: an AK quote over a fresh nonce, verified"
# No resource manager in front of swtpm: flush transients after each step.
quiet ek tpm2_createek -G rsa -c "$work/ek.ctx" -u "$work/ek.pub"
quiet flush-ek tpm2_flushcontext -t
quiet ak tpm2_createak -C "$work/ek.ctx" -G rsa -g sha256 -s rsassa -c "$work/ak.ctx" \
	-u "$work/ak.pub" -n "$work/ak.name"
quiet flush-ak tpm2_flushcontext -t
nonce=$(openssl rand -hex 32)
quiet quote tpm2_quote -c "$work/ak.ctx" -l "$banks" -q "$nonce" -m "$work/quote.msg" \
	-s "$work/quote.sig" -o "$work/quote.pcrs" -g sha256
quiet flush tpm2_flushcontext -t
"$build/tpm/ephemera-checkquote" -u "$work/ak.pub" -m "$work/quote.msg" -s "$work/quote.sig" \
	-f "$work/quote.pcrs" -q "$nonce" --require-ak | sed -n '/^verified:/,$p'

echo
echo "== 4. a guest whose log hides 'init=/bin/sh' on the kernel command line"
quiet up-guest2 "$fx/swtpm-up.sh" --ca "$work/ca" "$work/guest2"
quiet boot-guest2 "$fx/firmware-boot.sh" --tamper "$work/guest2" "$work/guest2.log"
TPM2TOOLS_TCTI=$(sed -n "s/^EPH_TCTI='\(.*\)'$/\1/p" "$work/guest2/env")
export TPM2TOOLS_TCTI
tpm2_pcrread "$banks" >"$work/guest2-pcrs.yaml"
set +e
"$cli" --compare="$work/guest2-pcrs.yaml" --pcrs-only "$work/guest2.log" >/dev/null 2>"$work/guest2.err"
rc=$?
set -e
echo "ephemera-eventlog --compare exit $rc: $(cat "$work/guest2.err")"
[ "$rc" -eq 4 ] || {
	echo "UNEXPECTED: the tampered log was not caught" >&2
	exit 1
}

echo
echo "== 5. the broker and two agents over HTTPS (TLS 1.3, pinned key)"
mkdir -p "$work/broker" "$work/policy"
pin=$("$build/broker/daemon/ephemera-broker" --gen-self-signed "$work/broker" 2>/dev/null |
	grep -o 'sha256//[A-Za-z0-9+/=]*' | head -n1)
# The known-good boot's PCRs are this demo's golden values: guest 1 booted
# it; guest 2 lies about its kernel command line.
python3 - "$work/guest1-pcrs.yaml" "$work/policy/golden-pcrs.json" <<'PY'
import json, re, sys
banks, cur = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"\s*(sha\d+):\s*$", line)
    if m:
        cur = banks.setdefault(m.group(1), {})
        continue
    m = re.match(r"\s*(\d+)\s*:\s*0x([0-9A-Fa-f]+)", line)
    if m and cur is not None:
        cur[m.group(1)] = m.group(2).lower()
json.dump({"sha256": banks.get("sha256", {})}, open(sys.argv[2], "w"), indent=1)
PY
cp "$root/docs/examples/policy/policy.json" "$work/policy/"
"$build/broker/daemon/ephemera-broker" --tls-cert "$work/broker/broker-cert.pem" \
	--tls-key "$work/broker/broker-key.pem" --store "$work/broker/state.db" \
	--ek-trust "$work/trust" --policy "$work/policy" --port 0 \
	--port-file "$work/broker/port" 2>"$work/broker/broker.log" &
broker_pid=$!
for _ in $(seq 50); do [ -s "$work/broker/port" ] && break; sleep 0.1; done
[ -s "$work/broker/port" ] || {
	cat "$work/broker/broker.log" >&2
	echo "demo.sh: the broker did not start" >&2
	exit 1
}
url="https://127.0.0.1:$(cat "$work/broker/port")"
echo "ephemera-broker on $url, key pin $pin"
agent() { # NAME GUEST: one enrol + attest round of ephemera-agent
	local tcti
	tcti=$(sed -n "s/^EPH_TCTI='\(.*\)'$/\1/p" "$work/$2/env")
	"$build/agent/daemon/ephemera-agent" --broker "$url" --pin "$pin" --tcti "$tcti" \
		--state-dir "$work/$1" --eventlog "$work/$2.log" --ima "" --cvm none \
		--hostname "$1" --once 2>"$work/$1.log"
}
set +e
agent agent1 guest1
rc1=$?
agent agent2 guest2
rc2=$?
set -e
echo "agent1 (honest boot): exit $rc1"
grep -E 'enrolled|attested' "$work/agent1.log" | sed 's/^/  /'
echo "agent2 (hidden init=/bin/sh): exit $rc2"
grep -E 'enrolled|refused' "$work/agent2.log" | sed 's/^/  /'
ctl="$build/broker/ctl/ephemeractl --broker $url --pin $pin"
echo "ephemeractl agents list:"
$ctl agents list | sed 's/^/  /'

pick() { # first readable, non-empty file of the arguments
	local f
	for f in "$@"; do
		if [ -r "$f" ] && [ -s "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

ima=$(pick /sys/kernel/security/ima/binary_runtime_measurements \
	"$vectors/ima/tpm2-tss/sml-ima-ng-sha1.bin" \
	"$root/tests/fuzz/corpora/ima/bin-ima-ng" || true)
if [ -n "$ima" ]; then
	echo
	echo "== 6. an IMA measurement list replayed into PCR 10: $ima"
	"$cli" --ima "$ima" >"$work/ima.yaml"
	echo "$(grep -c '^- EntryNum:' "$work/ima.yaml") entries, every template hash checked; last entry and PCR 10:"
	tail -n 12 "$work/ima.yaml"
fi

host=/sys/kernel/security/tpm0/binary_bios_measurements
if [ -r "$host" ] && [ -s "$host" ]; then
	echo
	echo "== 7. this machine's own firmware log ($host)"
	"$cli" --pcrs-only "$host" || true
fi

echo
"$root/scripts/demo-envs.sh" "$build"

echo
echo "demo: done (state in $work and $build/demo-envs; TPMs, sandboxes and broker stopped)"
