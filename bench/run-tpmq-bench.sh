#!/usr/bin/env bash
# run-tpmq-bench.sh - TPM quote verification: libtpmq (in process), the
# ephemera-checkquote CLI (--batch: one process, many quotes; and one
# process per quote) against tpm2_checkquote (one process per quote), on
# the same quotes, in the same run.
#
#   bench/run-tpmq-bench.sh            (from any directory)
#   N=20 RUNS=20 BENCH_SECS=1 REPEAT=200 BUILD=build-bench bench/run-tpmq-bench.sh
#
# 1. builds a Release tree in build-bench/ (tpmq, ephemera-checkquote,
#    tpmq_bench);
# 2. starts a swtpm fixture (swtpm-fixtures/swtpm-up.sh, own CA, in a
#    mktemp folder), makes one RSA AK (RSASSA-SHA256) and one ECC P-256 AK
#    (ECDSA-SHA256) with tpm2_createak, and N quotes with each
#    (tpm2_quote -l $PCRS, a fresh 20-byte nonce each), written in the
#    ephemera-checkquote --batch layout under WORK/rsa/ and WORK/ecdsa/;
#    then stops the swtpm (nothing below needs it);
# 3. times, per AK type:
#      lib     tpmq_bench -t BENCH_SECS DIR: tpmq_quote_verify + PCR file
#              parse in a loop, AK parsed once ("+key": AK parsed each time)
#      batch   ephemera-checkquote --batch DIR --batch-repeat REPEAT: the
#              tool's own rate line, and N*REPEAT / wall time of the process
#      cli     ephemera-checkquote -u -m -s -f -q, one process per quote:
#              median wall time of RUNS runs (quotes taken in turn)
#      tpm2    tpm2_checkquote with the same arguments, timed the same way
#      floor   /bin/true, timed the same way (fork+exec alone)
#    and prints a table with the ratios. Goal of the issue: >= 5,000 quote
#    verifications per second per core (the lib column, one thread).
set -euo pipefail

N=${N:-20}
RUNS=${RUNS:-20}
BENCH_SECS=${BENCH_SECS:-1}
REPEAT=${REPEAT:-200}
PCRS=${PCRS:-sha256:0,1,2,3,4,5,6,7+sha1:0,1,2,3,4,5,6,7}
for v in N RUNS REPEAT; do
	case ${!v} in '' | 0 | *[!0-9]*)
		echo "$v must be a positive whole number" >&2
		exit 2
		;;
	esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-build-bench} # BUILD=dir: another build tree

for t in swtpm swtpm_setup tpm2_createak tpm2_createek tpm2_quote tpm2_checkquote \
	tpm2_flushcontext openssl; do
	if ! command -v "$t" >/dev/null; then
		echo "SKIP: $t is not installed (apt-get install swtpm swtpm-tools tpm2-tools)"
		exit 0
	fi
done

echo "== build $build/ (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEPH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target tpmq ephemera-checkquote tpmq_bench >/dev/null
cli=$build/tpm/ephemera-checkquote
bench=$build/bench/tpmq_bench

work=$(mktemp -d /tmp/eph-tpmqbench.XXXXXX)
cleanup() {
	"$root/swtpm-fixtures/swtpm-down.sh" --wipe "$work/tpm" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== quotes: $N per AK type from a swtpm, PCRs $PCRS"
TPM2TOOLS_TCTI=$("$root/swtpm-fixtures/swtpm-up.sh" --ca "$work/ca" "$work/tpm" 2>"$work/up.log") || {
	cat "$work/up.log" >&2
	exit 1
}
export TPM2TOOLS_TCTI
fl() { tpm2_flushcontext -t >/dev/null; }
(
	cd "$work"
	# swtpm has 3 transient slots and no resource manager: flush after each.
	tpm2_createak -C 0x81010001 -c rsa.ctx -G rsa -g sha256 -s rsassa -u rsa.pub -f tss >/dev/null
	fl
	tpm2_createek -c eccek.ctx -G ecc -u eccek.pub >/dev/null
	tpm2_createak -C eccek.ctx -c ecdsa.ctx -G ecc -g sha256 -s ecdsa -u ecdsa.pub -f tss >/dev/null
	fl
	for k in rsa ecdsa; do
		for ((i = 1; i <= N; i++)); do
			d=$k/q$(printf %03d "$i")
			mkdir -p "$d"
			cp $k.pub "$d/ak.pub"
			openssl rand -hex 20 >"$d/nonce.hex"
			tpm2_quote -c $k.ctx -l "$PCRS" -q "$(cat "$d/nonce.hex")" -m "$d/quote.msg" \
				-s "$d/quote.sig" -o "$d/pcrs.bin" -g sha256 >/dev/null
			fl
		done
	done
)
"$root/swtpm-fixtures/swtpm-down.sh" --wipe "$work/tpm" >/dev/null 2>&1
for k in rsa ecdsa; do
	"$cli" --batch "$work/$k" >/dev/null || {
		echo "ephemera-checkquote refuses the $k quotes" >&2
		exit 1
	}
done

# Median wall time of one run of "$@" >/dev/null, in microseconds, over the
# runs given by the caller (each timed alone with bash's $EPOCHREALTIME).
median() {
	printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {
		if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}
# time_per_quote TYPE CMD...: RUNS runs of CMD with the args of quote i
# (i cycling over the N quotes), after one warm-up; prints the median us.
time_per_quote() {
	local k=$1 i d rc t0 t1 times=()
	shift
	d=$work/$k/q001
	"$@" -u "$d/ak.pub" -m "$d/quote.msg" -s "$d/quote.sig" -f "$d/pcrs.bin" \
		-q "$(cat "$d/nonce.hex")" >/dev/null 2>&1 || true
	for ((i = 0; i < RUNS; i++)); do
		d=$work/$k/q$(printf %03d $((i % N + 1)))
		q=$(cat "$d/nonce.hex")
		rc=0
		t0=${EPOCHREALTIME/[.,]/}
		"$@" -u "$d/ak.pub" -m "$d/quote.msg" -s "$d/quote.sig" -f "$d/pcrs.bin" -q "$q" \
			>/dev/null 2>&1 || rc=$?
		t1=${EPOCHREALTIME/[.,]/}
		if [ $rc -ne 0 ]; then
			echo "$* failed ($rc) on $d" >&2
			exit 1
		fi
		times+=($((t1 - t0)))
	done
	median "${times[@]}"
}
floor_us() {
	local i t0 t1 times=()
	for ((i = 0; i < RUNS; i++)); do
		t0=${EPOCHREALTIME/[.,]/}
		/bin/true >/dev/null
		t1=${EPOCHREALTIME/[.,]/}
		times+=($((t1 - t0)))
	done
	median "${times[@]}"
}

echo "== machine"
echo "cpu:     $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "nproc:   $(nproc)"
echo "kernel:  $(uname -srm)"
echo "openssl: $(openssl version)"
echo "tpm2_checkquote: $(command -v tpm2_checkquote) ($(tpm2_checkquote -v 2>&1 | head -1))"
echo "ephemera-checkquote: $cli"
echo "== commands"
echo "lib:   $bench -t $BENCH_SECS WORK/TYPE   (one thread; AK parsed once, or each time for +key)"
echo "batch: $cli --batch WORK/TYPE --batch-repeat $REPEAT   (one process, $N x $REPEAT verifications)"
echo "cli:   $cli -u ak.pub -m quote.msg -s quote.sig -f pcrs.bin -q NONCE >/dev/null   (median of $RUNS runs after 1 warm-up, whole process)"
echo "tpm2:  tpm2_checkquote -u ak.pub -m quote.msg -s quote.sig -f pcrs.bin -q NONCE >/dev/null   (same)"
floor=$(floor_us)
echo "floor: /bin/true >/dev/null = $floor us per process (fork+exec alone)"
echo

declare -A r_lib r_libk r_batch r_bwall r_cli r_tpm2
for k in rsa ecdsa; do
	out=$("$bench" -t "$BENCH_SECS" "$work/$k")
	r_lib[$k]=$(awk -F'\t' '$3 == "verify" {print $6}' <<<"$out")
	r_libk[$k]=$(awk -F'\t' '$3 == "+key" {print $6}' <<<"$out")
	t0=${EPOCHREALTIME/[.,]/}
	bout=$("$cli" --batch "$work/$k" --batch-repeat "$REPEAT")
	t1=${EPOCHREALTIME/[.,]/}
	r_batch[$k]=$(sed -n 's/^repeat: .*: \([0-9]*\) quotes\/s$/\1/p' <<<"$bout")
	r_bwall[$k]=$(awk -v n=$((N * REPEAT)) -v us=$((t1 - t0)) 'BEGIN {printf "%.0f", n * 1e6 / us}')
	r_cli[$k]=$(time_per_quote "$k" "$cli")
	r_tpm2[$k]=$(time_per_quote "$k" tpm2_checkquote)
done

printf '%-6s %6s %10s %10s %10s %10s %8s %8s %8s %9s %10s %9s\n' type quotes lib/s lib+key/s \
	batch/s batchwall/s cli_us tpm2_us tpm2/s lib/tpm2 batch/tpm2 tpm2/cli
for k in rsa ecdsa; do
	awk -v k=$k -v n="$N" -v lib="${r_lib[$k]}" -v libk="${r_libk[$k]}" -v b="${r_batch[$k]}" \
		-v bw="${r_bwall[$k]}" -v c="${r_cli[$k]}" -v t="${r_tpm2[$k]}" 'BEGIN {
		ts = 1e6 / t
		printf "%-6s %6d %10.0f %10.0f %10.0f %10.0f %8d %8d %8.0f %8.0fx %9.0fx %8.1fx\n",
			k, n, lib, libk, b, bw, c, t, ts, lib / ts, bw / ts, t / c }'
done
echo
awk -v r="${r_lib[rsa]}" -v e="${r_lib[ecdsa]}" 'BEGIN {
	printf "goal: >= 5000 verifications/s per core (lib, one thread): rsa %.0f/s %s, ecdsa %.0f/s %s\n",
		r, (r >= 5000 ? "met" : "NOT met"), e, (e >= 5000 ? "met" : "NOT met") }'
awk -v f="$floor" 'BEGIN { printf "bound: a CLI costing only fork+exec would do %.0f quotes/s one process per quote\n", 1e6 / f }'
