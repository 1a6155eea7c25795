#!/usr/bin/env bash
# run.sh - the two entry points of Ephemera on a fresh Debian 12 machine.
#
#   ./run.sh demo     install what is missing, build, run the main job
#   ./run.sh test     install what is missing, build, run the whole suite:
#                     unit + integration tests, the same under ASan+UBSan,
#                     and a bounded libFuzzer run of every parser
#   ./run.sh deps     only install the Debian packages
#
# Environment:
#   EPH_FUZZ_SECONDS  seconds per fuzz target in `test` (default 5: 22 targets; the
#                     campaign itself, 120 s and more each, is docs/fuzzing.md; 0 skips)
#   EPH_VECTORS       shared test vectors (default ../shared/vectors)
#   EPH_JOBS          parallel build jobs (default: nproc)
#
# Needs root only to install packages; everything else stays in build*/.
# Exit status: 0 all good, 1 a step failed (the step is named on stderr),
# 2 usage.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
jobs=${EPH_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian packages the build, the tests and the demo need.
packages=(
	build-essential cmake pkg-config clang libclang-rt-14-dev
	libssl-dev libtss2-dev tpm2-tools swtpm swtpm-tools
	libcriterion-dev libjansson-dev libcbor-dev libcurl4-openssl-dev
	libfuse3-dev fuse3 libsqlite3-dev sqlite3 libevent-dev iproute2 openssl procps
	python3 bubblewrap crun gnuplot-nox
	# VMs: the qemu driver, the guest image (Debian kernel + busybox initrd)
	qemu-system-x86 qemu-utils busybox-static cpio ovmf
	# packaging: .debs and their checks
	dpkg-dev file lintian
)

say() { printf '\n== %s\n' "$*"; }
die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

install_deps() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "run.sh: all ${#packages[@]} Debian packages present"
		return
	fi
	say "installing ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}): run as root to install them"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# build DIR [cmake args...]
build() {
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1 || {
		cat "$dir.configure.log" >&2
		die "cmake configure of $dir failed"
	}
	rm -f "$dir.configure.log"
	cmake --build "$dir" -j "$jobs" >/dev/null || die "build of $dir failed (errors above)"
}

cmd_demo() {
	install_deps
	say "building (build/)"
	build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEPH_BUILD_TESTS=OFF
	say "main job"
	exec "$root/scripts/demo.sh" "$root/build"
}

# ctest_suite DIR LABEL: run ctest, keep its closing line for the summary.
passed=0
failed=0
ctest_suite() {
	local dir=$1 label=$2 log
	log=$(mktemp)
	say "tests: $label ($dir)"
	if ctest --test-dir "$dir" --output-on-failure -j "$jobs" | tee "$log"; then :; fi
	local line
	line=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n1 || true)
	rm -f "$log"
	[ -n "$line" ] || die "$label: ctest printed no result"
	local total fails
	total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
	fails=$(sed -E 's/.*, ([0-9]+) tests failed.*/\1/' <<<"$line")
	passed=$((passed + total - fails))
	failed=$((failed + fails))
}

cmd_test() {
	install_deps
	# -O2: some -Werror diagnostics (maybe-uninitialized, stringop-*) only
	# fire with the optimiser on, and the demo and packages build that way.
	say "building (build-test/, -O2 -Werror)"
	build build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
	ctest_suite build-test "gcc"

	say "building (build-asan/, AddressSanitizer + UndefinedBehaviorSanitizer)"
	build build-asan -DCMAKE_BUILD_TYPE=Debug -DEPH_SANITIZE=ON -DEPH_BUILD_BENCH=OFF
	# criterion runs each test in a worker process and ignores the worker's
	# exit status after the test reported, so a LeakSanitizer report at exit
	# would pass unnoticed: every sanitizer report goes to a file instead,
	# and any file there fails the suite.
	local sanlogs="$root/build-asan/sanitizer-logs"
	rm -rf "$sanlogs"
	mkdir -p "$sanlogs"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$sanlogs/asan \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$sanlogs/ubsan \
		ctest_suite build-asan "asan+ubsan"
	if compgen -G "$sanlogs/*" >/dev/null; then
		echo "run.sh: sanitizer reports (leaks or errors) in $sanlogs:" >&2
		head -n 40 "$sanlogs"/* >&2
		failed=$((failed + 1))
	else
		echo "run.sh: no sanitizer reports (ASan, LeakSanitizer, UBSan)"
		passed=$((passed + 1))
	fi

	local secs=${EPH_FUZZ_SECONDS:-5}
	if [ "$secs" -gt 0 ]; then
		say "fuzzing every parser for ${secs}s each (libFuzzer)"
		if "$root/tests/fuzz/run-fuzzers.sh" "$secs"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "run.sh: the fuzz run found a problem (see above)" >&2
		fi
	else
		echo "run.sh: EPH_FUZZ_SECONDS=0, fuzzing skipped"
	fi

	echo
	echo "suite: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

case ${1:-} in
demo) cmd_demo ;;
test) cmd_test ;;
deps) install_deps ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
