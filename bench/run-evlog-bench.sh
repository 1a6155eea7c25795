#!/usr/bin/env bash
# run-evlog-bench.sh - libevlog against tpm2_eventlog on the same real
# firmware event logs, in the same run.
#
#   bench/run-evlog-bench.sh            (from any directory)
#   RUNS=20 BENCH_SECS=1 VECTORS=/path/to/vectors bench/run-evlog-bench.sh
#
# Builds a Release tree in build-bench/, then for every log under
# $VECTORS/eventlog (default ../shared/vectors, read in place, never copied):
#   ours      evlog_bench: parse + replay of all banks + free, in process,
#             looped for >= BENCH_SECS s; microseconds per log.
#   tpm2      `tpm2_eventlog FILE >/dev/null`, RUNS whole-process runs
#             (after one warm-up run); median microseconds per run.
#   cli       `ephemera-eventlog FILE >/dev/null`, timed exactly like tpm2.
#   floor     `/bin/true`, timed the same way: what fork+exec alone costs.
# and prints both ratios: tpm2/ours (in-process library vs. a whole process:
# flatters us) and tpm2/cli (process vs. process: the fair one), each with
# its geometric mean over the logs that both sides accepted.
# The goal of the issue: >= 20x faster than tpm2_eventlog per log.
set -euo pipefail

RUNS=${RUNS:-20}
BENCH_SECS=${BENCH_SECS:-1}
case $RUNS in '' | 0 | *[!0-9]*)
	echo "RUNS must be a positive whole number" >&2
	exit 2
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
VECTORS=${VECTORS:-$root/../shared/vectors}
build="build-bench"
ev=$VECTORS/eventlog

if [ ! -d "$ev" ]; then
	echo "SKIP: no event log vectors at $ev (set VECTORS=...)"
	exit 0
fi

echo "== build $build/ (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEPH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target evlog_bench >/dev/null
bench=$build/bench/evlog_bench
cli=$build/firmware-eventlog/ephemera-eventlog
# The CLI is optional: without it the process-vs-process column says n/a.
cmake --build "$build" -j "$(nproc)" --target ephemera-eventlog >/dev/null 2>&1 || true
[ -x "$cli" ] || cli=
tpm2=$(command -v tpm2_eventlog || true)

files=()
for f in "$ev"/*.bin "$ev"/tpm2-tools/*.bin "$ev"/tpm2-tss/*.bin "$ev"/go-attestation/* \
	"$ev"/keylime/binary_bios_measurements; do
	case $f in
	*.txt | *short_no_action*) continue ;;
	esac
	if [ -f "$f" ]; then
		files+=("$f")
	else
		echo "SKIP: $f missing"
	fi
done
if [ ${#files[@]} -eq 0 ]; then
	echo "SKIP: no event logs found under $ev"
	exit 0
fi

# Median wall time of one run of "$@" >/dev/null, in microseconds, over RUNS
# runs after one warm-up run; prints "us rc" (rc of the last run). Each run
# is timed alone with bash's $EPOCHREALTIME (no fork for the clock), and the
# median keeps one run disturbed by another process from moving the figure.
time_cmd() {
	local i rc t0 t1 times=()
	"$@" >/dev/null 2>&1 || true
	for ((i = 0; i < RUNS; i++)); do
		rc=0
		t0=${EPOCHREALTIME/[.,]/}
		"$@" >/dev/null 2>&1 || rc=$?
		t1=${EPOCHREALTIME/[.,]/}
		times+=($((t1 - t0)))
	done
	echo "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p") $rc"
}

echo "== machine"
echo "cpu:    $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "nproc:  $(nproc)"
echo "kernel: $(uname -srm)"
echo "tpm2_eventlog: ${tpm2:-not installed} ($(tpm2_eventlog --version 2>/dev/null | head -n 1 || true))"
echo "ephemera-eventlog: ${cli:-n/a (not built)}"
echo "== commands"
echo "ours:  $bench -t $BENCH_SECS FILE...   (parse+replay all banks+free, in process)"
echo "tpm2:  tpm2_eventlog FILE >/dev/null   (median of $RUNS runs after 1 warm-up, whole process)"
echo "cli:   ${cli:-ephemera-eventlog} [--allow-padding|--ccel as needed] FILE >/dev/null   (same)"

floor=$(time_cmd /bin/true)
floor=${floor% *}
echo "floor: /bin/true >/dev/null = $floor us per process (fork+exec alone)"
echo

ours=$("$bench" -t "$BENCH_SECS" "${files[@]}")

{
	printf 'file\tevents\tours_us\tours_ev_per_s\tstatus\ttpm2_us\ttpm2_rc\tcli_us\tcli_rc\n'
	while IFS=$'\t' read -r file _bytes events _iters us evps status; do
		case $file in '#'*) continue ;; esac
		t="n/a -"
		c="n/a -"
		[ -n "$tpm2" ] && t=$(time_cmd "$tpm2" "$file")
		# Give the CLI the flags that evlog_bench needed for this log.
		case $status in
		padding) cli_flags=(--allow-padding) ;;
		ccel+padding) cli_flags=(--ccel) ;;
		*) cli_flags=() ;;
		esac
		[ -n "$cli" ] && c=$(time_cmd "$cli" "${cli_flags[@]}" "$file")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${file#"$ev"/}" "$events" "$us" "$evps" \
			"${status// /_}" "${t% *}" "${t#* }" "${c% *}" "${c#* }"
	done <<<"$ours"
} | awk -F'\t' -v floor="$floor" '
function ratio(a, b) { return (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) ? a / b : -1 }
NR == 1 {
	printf "%-62s %6s %10s %11s %10s %8s %10s %8s  %s\n", "file", "events", "ours_us",
	       "ours_ev/s", "tpm2_us", "tpm2/ours", "cli_us", "tpm2/cli", "note"
	next
}
{
	note = ""
	if ($5 != "ok") note = $5
	if ($7 != "0" && $7 != "-") note = note " tpm2_eventlog_rc=" $7
	if ($9 != "0" && $9 != "-") note = note " cli_rc=" $9
	r1 = ratio($6, $3); r2 = ratio($6, $8)
	ok = ($5 == "ok" || $5 == "padding" || $5 == "ccel+padding") && $7 == "0"
	if (ok && r1 > 0) { s1 += log(r1); n1++ }
	if (ok && r2 > 0 && $9 == "0") { s2 += log(r2); n2++ }
	r3 = ratio($6, floor)
	if (ok && r3 > 0) { s3 += log(r3); n3++ }
	printf "%-62s %6s %10s %11s %10s %8s %10s %8s  %s\n", $1, $2, $3, $4, $6,
	       (r1 > 0 ? sprintf("%.1fx", r1) : "n/a"), $8,
	       (r2 > 0 ? sprintf("%.1fx", r2) : "n/a"), note
}
END {
	print ""
	printf "geometric mean tpm2_eventlog/ours (in-process library vs whole process): %s over %d logs\n",
	       (n1 ? sprintf("%.1fx", exp(s1 / n1)) : "n/a"), n1
	printf "geometric mean tpm2_eventlog/ephemera-eventlog (process vs process):    %s over %d logs\n",
	       (n2 ? sprintf("%.1fx", exp(s2 / n2)) : "n/a"), n2
	printf "bound: a CLI costing only fork+exec (/bin/true, %s us) would reach %s\n", floor,
	       (n3 ? sprintf("%.1fx", exp(s3 / n3)) : "n/a")
	print "goal: >= 20x faster than tpm2_eventlog per log"
}'
