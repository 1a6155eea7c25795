#!/usr/bin/env bash
# swtpm-down.sh - stop the swtpm of a fixture started by swtpm-up.sh.
#
# Usage: swtpm-down.sh [--wipe] STATEDIR
#
# Shuts the swtpm down through its control port (swtpm_ioctl -s), then
# SIGTERM, then SIGKILL (bounded, ~6 s worst case), and removes STATEDIR/env
# and STATEDIR/swtpm.pid. The provisioned state stays, so the next
# swtpm-up.sh starts the same TPM (same EK) in ~20 ms. --wipe deletes
# STATEDIR altogether. Idempotent: nothing running, or no STATEDIR, is
# success. The CA folder is never touched.
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=fixture-lib.sh
. "$here/fixture-lib.sh"

usage() { echo "usage: $fx_name [--wipe] STATEDIR" >&2; exit 2; }

wipe=0
while [ $# -gt 0 ]; do
	case $1 in
	--wipe) wipe=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
[ -d "$1" ] || exit 0
state=$(fx_abspath "$1")

exec 9>"$state/.fixture.lock"
flock -w 30 9 || fx_die "$state is locked by another swtpm-up/down for 30 s"

fx_stop "$state" || fx_die "swtpm for $state survived SIGKILL"
rm -f -- "$state/env" "$state/swtpm.pid"

if [ "$wipe" = 1 ]; then
	# Only a folder that looks like a fixture (swtpm state, or nothing but
	# our lock): a typo must not cost a tree.
	shopt -s nullglob dotglob
	entries=("$state"/*)
	if [ "$state" = / ] || { [ ! -e "$state/tpm2-00.permall" ] && [ ! -e "$state/swtpm.log" ] &&
		[ "${#entries[@]}" -gt 1 ]; }; then
		fx_die "refusing to wipe $state: it holds no swtpm state"
	fi
	rm -rf -- "$state"
fi
exit 0
