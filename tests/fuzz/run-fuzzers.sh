#!/bin/sh
# run-fuzzers.sh - build the libFuzzer targets with clang and run each one.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS]      (default 60 per target)
#
# Configures and builds build-fuzz/ (-DEPH_FUZZ=ON, clang, ASan+UBSan), then
# runs every build-fuzz/tests/fuzz/*_fuzzer for SECONDS on a fresh copy of
# its seeds (tests/fuzz/corpora/<parser>/ is never written to; the grown
# corpus stays in build-fuzz/work/<name>/). Crashing, leaking or timing-out
# inputs go to build-fuzz/artifacts/<name>/, with the fuzzer's output in
# build-fuzz/artifacts/<name>/last-run.log.
#
# Prints one line per target, "<name>: N execs, M new units, K findings",
# and exits 1 if any target crashed, leaked, ran out of memory, timed out or
# hit undefined behaviour, naming the saved input. Each target is also cut
# off by timeout(1) at SECONDS+120 s, so the whole run is bounded by the
# build plus targets x (SECONDS+120) s. Works from any directory.
set -eu

secs=${1:-60}
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
cmake -S . -B "$build" -DEPH_FUZZ=ON -DCMAKE_C_COMPILER=clang -DEPH_BUILD_BENCH=OFF \
	>"$build.configure.log" 2>&1 || {
	cat "$build.configure.log" >&2
	echo "run-fuzzers: cmake configure failed" >&2
	exit 1
}
rm -f "$build.configure.log"
cmake --build "$build" -j "$jobs" >/dev/null || {
	echo "run-fuzzers: build failed (see the errors above)" >&2
	exit 1
}

targets=$(find "$build/tests/fuzz" -maxdepth 1 -type f -name '*_fuzzer' -perm -u+x | sort)
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
	saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
	after=$(find "$art" -type f ! -name last-run.log | wc -l)
	findings=$((after - before))
	if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
		findings=1 # died without saving an input (e.g. killed by timeout(1))
	fi
	echo "$name: ${execs:-?} execs, ${units:-?} new units, $findings findings"

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
