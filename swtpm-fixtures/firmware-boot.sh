#!/usr/bin/env bash
# firmware-boot.sh - play UEFI firmware on a fixture TPM: extend PCRs 0-8
# and write the matching TCG event log.
#
# Usage: firmware-boot.sh [--tamper] [--reset] [--startup-locality]
#                         [--cmdline STR] STATEDIR LOGFILE
#
#   STATEDIR  a fixture started by swtpm-up.sh (its env names the TPM)
#   LOGFILE   where the crypto-agile event log goes (binary, like
#             /sys/kernel/security/tpm0/binary_bios_measurements)
#   --tamper  the log records a different kernel command line than the one
#             extended into PCR 8: the log is well-formed, its PCR 8 replay
#             does not match the TPM (for rejection tests)
#   --reset   first reset the TPM (swtpm_ioctl -i, TPM2_Startup(CLEAR)), as a
#             reboot would, so a used fixture can boot again
#   --startup-locality, --cmdline STR   passed to mklog.py (see there)
#
# mklog.py builds the log and lists the digests; this script only checks the
# TPM is fresh and extends them in log order (tpm2_pcrextend, sha1+sha256 in
# one command per event). LOGFILE appears only once every extend succeeded.
# PCRs 0-9 must be all zero (a TPM that has not "booted" yet), otherwise
# the log could not match and we fail without extending anything.
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=fixture-lib.sh
. "$here/fixture-lib.sh"

usage() {
	echo "usage: $fx_name [--tamper] [--reset] [--startup-locality] [--cmdline STR] STATEDIR LOGFILE" >&2
	exit 2
}

mkargs=()
reset=0
while [ $# -gt 0 ]; do
	case $1 in
	--tamper | --startup-locality) mkargs+=("$1"); shift ;;
	--cmdline) [ $# -ge 2 ] || usage; mkargs+=(--cmdline "$2"); shift 2 ;;
	--reset) reset=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
fx_need tpm2_pcrextend tpm2-tools
fx_need python3 python3

state=$1
log=$2
TPM2TOOLS_TCTI=$(fx_env_get "$state" TPM2TOOLS_TCTI)
[ -n "$TPM2TOOLS_TCTI" ] || fx_die "$state/env missing: run swtpm-up.sh $state first"
export TPM2TOOLS_TCTI
fx_pid_alive "$(fx_abspath "$state")" >/dev/null || fx_die "the swtpm of $state is not running"

if [ "$reset" = 1 ]; then
	ctrl=$(fx_env_get "$state" SWTPM_CTRL_PORT)
	timeout 5 swtpm_ioctl --tcp "127.0.0.1:$ctrl" -i >/dev/null ||
		fx_die "swtpm_ioctl -i (reset) failed on control port $ctrl"
	tpm2_startup -c >/dev/null 2>&1 || fx_die "TPM2_Startup(CLEAR) failed after the reset"
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# 10 sha1 + 10 sha256 values, concatenated: 520 bytes that must all be zero.
tpm2_pcrread -o "$tmp/pcrs.bin" sha1:0,1,2,3,4,5,6,7,8,9+sha256:0,1,2,3,4,5,6,7,8,9 >/dev/null ||
	fx_die "cannot read PCRs (are sha1 and sha256 banks active?)"
if [ "$(stat -c %s "$tmp/pcrs.bin")" -ne 520 ] || ! cmp -s -n 520 "$tmp/pcrs.bin" /dev/zero; then
	fx_die "PCRs 0-9 of $state are not all zero: already booted (use --reset)"
fi

python3 "$here/mklog.py" "${mkargs[@]}" "$tmp/log.bin" >"$tmp/extends" ||
	fx_die "mklog.py failed"
t0=$(fx_ms)
n=0
while read -r pcr sha1 sha256; do
	tpm2_pcrextend "$pcr:sha1=$sha1,sha256=$sha256" ||
		fx_die "tpm2_pcrextend of PCR $pcr failed after $n events; the TPM is half booted"
	n=$((n + 1))
done <"$tmp/extends"
mv -f -- "$tmp/log.bin" "$log"
fx_log "extended $n events into PCRs 0-8 in $(($(fx_ms) - t0)) ms; log in $log${mkargs[*]:+ (${mkargs[*]})}"
