#!/bin/sh
# run-fuzzers.sh - build the libFuzzer targets with clang and run each one.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS [PARSER...]]   (default 60 s per target)
#
# Configures build-fuzz/ (-DEPH_FUZZ=ON, clang, ASan+UBSan, -O2 -g with
# assertions on), builds the fuzz targets and the libraries they link (nothing
# else), then runs every build-fuzz/tests/fuzz/*_fuzzer, or only those of the
# PARSERs named ("policy wire": policy_fuzzer and wire_fuzzer), one at a time,
# for SECONDS each on a fresh copy of its seeds (tests/fuzz/corpora/<parser>/
# is never written to; the grown corpus stays in build-fuzz/work/<name>/).
# Crashing, leaking or timing-out inputs go to build-fuzz/artifacts/<name>/,
# with the fuzzer's output in build-fuzz/artifacts/<name>/last-run.log.
#
# Prints one line per target, "<name>: N execs (E/s), cov C, ft F, corpus U
# units (+M new), K findings" (cov, ft and corpus from libFuzzer's last status
# line), appends the same figures as a tab-separated line to
# build-fuzz/campaign.tsv (name secs execs exec_s cov ft corpus new findings),
# and exits 1 if any target crashed, leaked, ran out of memory, timed out or
# hit undefined behaviour, naming the saved input. Each target is also cut
# off by timeout(1) at SECONDS+120 s, so the whole run is bounded by the
# build plus targets x (SECONDS+120) s. Works from any directory.
set -eu

secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]   (a positive whole number, default 60)" >&2
	exit 2
	;;
esac
if [ "$secs" -lt 1 ]; then
	echo "usage: $0 [SECONDS]   (a positive whole number, default 60)" >&2
	exit 2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build="build-fuzz"
jobs=$(nproc 2>/dev/null || echo 2)

echo "== configure + build $build/ (clang, EPH_FUZZ=ON)"
# RelWithDebInfo without its -DNDEBUG: the libraries assert() their
# programming-bug invariants, and a failed assert is a finding to keep.
cmake -S . -B "$build" -DEPH_FUZZ=ON -DCMAKE_C_COMPILER=clang -DEPH_BUILD_BENCH=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g" \
	>"$build.configure.log" 2>&1 || {
	cat "$build.configure.log" >&2
	echo "run-fuzzers: cmake configure failed" >&2
	exit 1
}
rm -f "$build.configure.log"
# Only the fuzz folder's targets and what they link: the daemons and tools
# are not fuzzed, and building them would double the time.
if [ -f "$build/tests/fuzz/Makefile" ]; then
	make -s -C "$build/tests/fuzz" -j "$jobs" >/dev/null
else
	cmake --build "$build" -j "$jobs" >/dev/null
fi || {
	echo "run-fuzzers: build failed (see the errors above)" >&2
	exit 1
}

targets=$(find "$build/tests/fuzz" -maxdepth 1 -type f -name '*_fuzzer' -perm -u+x | sort)
if [ $# -gt 0 ]; then
	wanted=
	for p in "$@"; do
		if [ ! -x "$build/tests/fuzz/${p}_fuzzer" ]; then
			echo "run-fuzzers: no target ${p}_fuzzer in $build/tests/fuzz" >&2
			exit 2
		fi
		wanted="$wanted$build/tests/fuzz/${p}_fuzzer
"
	done
	targets=${wanted%
}
fi
if [ -z "$targets" ]; then
	echo "run-fuzzers: no *_fuzzer binaries in $build/tests/fuzz" >&2
	exit 1
fi

# UB is a finding, not a warning: make UBSan abort so libFuzzer saves the input.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS ASAN_OPTIONS

echo "== $(echo "$targets" | wc -l) target(s), $secs s each"
failed=0
for bin in $targets; do
	name=$(basename "$bin")
	parser=${name%_fuzzer}
	work=$build/work/$name
	art=$build/artifacts/$name
	log=$art/last-run.log

	rm -rf "$work"
	mkdir -p "$work/corpus" "$art"
	if [ -d "tests/fuzz/corpora/$parser" ]; then
		cp -R "tests/fuzz/corpora/$parser/." "$work/corpus/"
	else
		echo "$name: no seeds in tests/fuzz/corpora/$parser, starting empty"
	fi
	before=$(find "$art" -type f ! -name last-run.log | wc -l)

	set +e
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work/corpus" >"$log" 2>&1
	rc=$?
	set -e

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# The last status line, e.g. "#123456 DONE cov: 812 ft: 2301 corp: 240/31Kb ..."
	status=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -n 1)
	cov=$(echo "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$status" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
	after=$(find "$art" -type f ! -name last-run.log | wc -l)
	findings=$((after - before))
	if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
		findings=1 # died without saving an input (e.g. killed by timeout(1))
	fi
	echo "$name: ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}," \
		"corpus ${corp:-?} units (+${units:-?} new), $findings findings"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$secs" "${execs:-?}" \
		"${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${units:-?}" "$findings" \
		>>"$build/campaign.tsv"

	if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
		failed=1
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "  $name did not stop within $((secs + 120)) s; killed"
		fi
		inputs=
		for f in $saved; do
			echo "  input: $root/$f"
			inputs="$inputs $root/$f"
		done
		echo "  log:   $root/$log"
		echo "  reproduce: $root/$bin${inputs:- <input>}"
		# The sanitizer's report: its first line, the top frames, the summary.
		grep -E '^==[0-9]+==ERROR|runtime error:|^ *#[0-9] |SUMMARY:|deadly signal|ERROR: libFuzzer' \
			"$log" | head -n 20 | cut -c 1-200 | sed 's/^/  /'
	fi
done

if [ "$failed" -ne 0 ]; then
	echo "run-fuzzers: FAILED: findings above" >&2
	exit 1
fi
echo "run-fuzzers: all targets ran $secs s without findings"
