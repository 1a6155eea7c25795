#!/usr/bin/env bash
# build-debs.sh - build the two Debian packages (ephemera-broker,
# ephemera-agent) with CPack and check them: dpkg-deb --info/--contents,
# lintian when installed, an install into a scratch root (dpkg --root), the
# expected files present, every ELF's libraries resolved (ldd), the units
# verified (systemd-analyze verify), and the Depends satisfiable on
# this machine (apt-get install --simulate).
#
# Usage: build-debs.sh OUTDIR [--from-build DIR]
#   OUTDIR            where the .debs and the reports go (OUTDIR/build is the
#                     script's own Release build folder)
#   --from-build DIR  package an existing build folder instead, when it was
#                     configured with packaging/cpack.cmake included
#                     (DIR/CPackConfig.cmake exists; else the script says so
#                     and makes its own build); what ctest uses
#
# Exit status 0 when both packages were built and every check passed (lintian
# findings are printed, not fatal), 77 ("SKIP: ...") when a packaging tool is
# not installed, 1 otherwise. Nothing is installed on the host: the scratch
# root is OUTDIR/root.
#
# Not here: the install rules (packaging/install.cmake) or the package
# metadata (packaging/cpack.cmake).
set -euo pipefail

prog=${0##*/}
here=$(cd -- "$(dirname -- "$0")" && pwd -P)
top=$(cd -- "$here/.." && pwd -P)
log() { printf '%s: %s\n' "$prog" "$*"; }
die() {
	printf '%s: FAIL: %s\n' "$prog" "$*"
	exit 1
}
ms() { date +%s%3N; }

out="" from=""
while [ $# -gt 0 ]; do
	case $1 in
	--from-build) [ $# -ge 2 ] || die "--from-build needs a folder"; from=$2; shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) [ -z "$out" ] || die "one OUTDIR only"; out=$1; shift ;;
	esac
done
[ -n "$out" ] || die "usage: $prog OUTDIR [--from-build DIR]"
for t in cmake:cmake cpack:cmake dpkg-deb:dpkg dpkg:dpkg dpkg-shlibdeps:dpkg-dev ldd:libc-bin; do
	if ! command -v "${t%%:*}" >/dev/null 2>&1; then
		echo "SKIP: $prog: ${t%%:*} not found (apt-get install -y ${t#*:})"
		exit 77
	fi
done
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd -P)
t_begin=$(ms)

# --- 1. the build ---------------------------------------------------------------
if [ -n "$from" ]; then
	bdir=$(cd -- "$from" && pwd -P)
	if [ ! -f "$bdir/CPackConfig.cmake" ]; then
		log "$bdir has no CPackConfig.cmake (packaging/cpack.cmake is not included by the top CMakeLists.txt): building my own in $out/build"
		from=""
	fi
fi
if [ -z "$from" ]; then
	bdir=$out/build
	t0=$(ms)
	cmake -S "$top" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DEPH_BUILD_TESTS=OFF \
		-DEPH_BUILD_BENCH=OFF -DCMAKE_PROJECT_INCLUDE="$top/packaging/cpack.cmake" \
		>"$out/configure.log" 2>&1 || die "cmake configure failed (see $out/configure.log)"
	make -C "$bdir" -j2 >"$out/build.log" 2>&1 || die "build failed (see $out/build.log: $(tail -n 3 "$out/build.log"))"
	log "built in $(($(ms) - t0)) ms ($bdir)"
fi

# --- 2. cpack ---------------------------------------------------------------------
rm -f -- "$out"/*.deb
t0=$(ms)
(cd -- "$bdir" && cpack -G DEB -B "$out" --config "$bdir/CPackConfig.cmake") >"$out/cpack.log" 2>&1 ||
	die "cpack failed: $(tail -n 5 "$out/cpack.log")"
rm -rf -- "$out/_CPack_Packages"
log "cpack in $(($(ms) - t0)) ms"
debs=("$out"/ephemera-broker_*.deb "$out"/ephemera-agent_*.deb)
for d in "${debs[@]}"; do
	[ -f "$d" ] || die "missing package $(basename -- "$d") (cpack.log: $out/cpack.log)"
done

# --- 3. what is inside ---------------------------------------------------------------
for d in "${debs[@]}"; do
	name=$(dpkg-deb --field "$d" Package)
	dpkg-deb --info "$d" >"$out/$name.info.txt"
	dpkg-deb --contents "$d" >"$out/$name.contents.txt"
	log "$(basename -- "$d"): $(stat -c %s "$d") bytes, $(grep -c '' "$out/$name.contents.txt") entries"
	log "  Depends: $(dpkg-deb --field "$d" Depends)"
done
if command -v lintian >/dev/null 2>&1; then
	lintian --tag-display-limit 0 "${debs[@]}" >"$out/lintian.txt" 2>&1 || true
	log "lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors, $(grep -c '^W:' "$out/lintian.txt" || true) warnings (all in $out/lintian.txt)"
	grep '^E:' "$out/lintian.txt" | sed 's/^/  /' || true
else
	log "lintian not installed: skipped (apt-get install -y lintian)"
fi

# --- 4. install into a scratch root -----------------------------------------------------
root=$out/root
rm -rf -- "$root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
# --force-depends: the scratch root has no libc6 & co. in its database; the
# dependencies are checked against this machine below instead.
dpkg --root="$root" --log=/dev/null --force-depends --force-not-root -i "${debs[@]}" >"$out/dpkg-install.log" 2>&1 ||
	die "dpkg --root install failed: $(tail -n 5 "$out/dpkg-install.log")"
st=$(dpkg --root="$root" -l 'ephemera-*' 2>/dev/null | awk '/^[a-z][a-z] /{print $1, $2}' | tr '\n' ' ')
case $st in *"ii ephemera-agent"*) ;; *) die "ephemera-agent not installed in the scratch root: $st" ;; esac
case $st in *"ii ephemera-broker"*) ;; *) die "ephemera-broker not installed in the scratch root: $st" ;; esac
log "installed in $root: $st"

want="usr/bin/ephemera-broker usr/bin/ephemeractl usr/bin/ephemera-eventlog
usr/bin/ephemera-checkquote usr/sbin/ephemera-agent
usr/lib/systemd/system/ephemera-broker.service usr/lib/systemd/system/ephemera-agent.service
usr/share/doc/ephemera-broker/copyright usr/share/doc/ephemera-agent/copyright
usr/share/doc/ephemera-broker/examples/ephemera-broker.conf.example
usr/share/doc/ephemera-agent/examples/ephemera-agent.conf.example
usr/share/doc/ephemera-broker/examples/policy/policy.json
usr/share/ephemera/guest/build-guest.sh usr/share/ephemera/guest/mkconfig-cpio.sh"
for f in $want; do
	[ -e "$root/$f" ] || die "$f missing from the installed packages"
done
nelf=0
while IFS= read -r -d '' f; do
	head -c 4 "$f" | grep -q ELF || continue
	nelf=$((nelf + 1))
	l=$(ldd "$f" 2>&1) || die "ldd $f: $l"
	case $l in *"not found"*) die "ldd ${f#"$root"}: $(echo "$l" | grep 'not found' | tr '\n' ' ')" ;; esac
done < <(find "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib/ephemera" -type f -print0 2>/dev/null)
log "$nelf programs, every library resolved (ldd)"
"$root/usr/sbin/ephemera-agent" --version >/dev/null 2>&1 || die "ephemera-agent --version fails"
"$root/usr/bin/ephemera-broker" --version >/dev/null 2>&1 || die "ephemera-broker --version fails"

if command -v systemd-analyze >/dev/null 2>&1; then
	# Without --root (a scratch root has no sysinit.target): systemd-analyze
	# then looks for ExecStart= programs on this machine, so the only finding
	# allowed is "not executable" for our own programs, which the scratch
	# root has.
	v=$(systemd-analyze verify "$root/usr/lib/systemd/system/ephemera-broker.service" \
		"$root/usr/lib/systemd/system/ephemera-agent.service" 2>&1) || true
	bad=""
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		case $l in
		*"Command /usr/bin/ephemera-broker is not executable"*) [ -x "$root/usr/bin/ephemera-broker" ] && continue ;;
		*"Command /usr/sbin/ephemera-agent is not executable"*) [ -x "$root/usr/sbin/ephemera-agent" ] && continue ;;
		esac
		bad="$bad$l; "
	done <<<"$v"
	[ -z "$bad" ] || die "systemd-analyze verify: $bad"
	log "systemd-analyze verify: both units clean"
fi

# --- 5. installable here: apt resolves every Depends (simulation only) ----------------
if command -v apt-get >/dev/null 2>&1; then
	sim=$(apt-get install --simulate -o Debug::NoLocking=1 "${debs[@]}" 2>&1) ||
		die "apt-get install --simulate: $(printf '%s\n' "$sim" | tail -n 5)"
	log "apt-get install --simulate: dependencies satisfiable ($(printf '%s\n' "$sim" | grep -c '^Inst ') packages to install)"
fi
log "PASS: $(basename -- "${debs[0]}") $(basename -- "${debs[1]}") in $(($(ms) - t_begin)) ms"
