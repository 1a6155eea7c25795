#!/usr/bin/env bash
# swtpm-up.sh - provision (once) and start a swtpm TPM 2.0 for tests.
#
# Usage: swtpm-up.sh [--ca CADIR] [--ecc] STATEDIR
#
#   STATEDIR  the TPM's state folder (created if missing). Provisioned on
#             first use with swtpm_setup: RSA-2048 EK cert (NV 0x01c00002),
#             ECC P-384 EK cert (0x01c00016), platform cert (0x01c08000),
#             PCR banks sha1+sha256, NV locked. The EK certificates are
#             also written as DER files STATEDIR/ek-rsa2048.crt and
#             ek-secp384r1.crt: the host that made the TPM knows its EKs
#             (the broker binds an environment's agent to them).
#   --ca DIR  the project-local CA that signs the certs (default
#             STATEDIR/../swtpm-ca); created on first use, shared by every
#             TPM provisioned with the same DIR. Never /var/lib/swtpm-localca.
#   --ecc     also give the TPM an ECC P-256 EK cert at 0x01c0000a (TCG
#             template L-2), signed by the same CA (see ek-p256.sh).
#
# Starts `swtpm socket` on 127.0.0.1, ports P (TPM) and P+1 (control), P
# random in 20000..59998. Writes STATEDIR/env (shell-sourceable) and prints
# exactly one line on stdout: the TCTI string swtpm:host=127.0.0.1,port=P.
# If STATEDIR's swtpm already runs, prints its TCTI and does nothing else.
# Progress goes to stderr; on failure one error line and exit status 1.
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=fixture-lib.sh
. "$here/fixture-lib.sh"

usage() { echo "usage: $fx_name [--ca CADIR] [--ecc] STATEDIR" >&2; exit 2; }

ca=""
ecc=0
while [ $# -gt 0 ]; do
	case $1 in
	--ca) [ $# -ge 2 ] || usage; ca=$2; shift 2 ;;
	--ca=*) ca=${1#--ca=}; shift ;;
	--ecc) ecc=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage

fx_need swtpm swtpm
fx_need swtpm_setup swtpm-tools
fx_need swtpm_localca swtpm-tools
fx_need swtpm_ioctl swtpm-tools
fx_need openssl openssl
fx_need flock util-linux
[ "$ecc" = 0 ] || fx_need tpm2_createek tpm2-tools

mkdir -p -- "$1" || fx_die "cannot create $1"
state=$(fx_abspath "$1")
[ -n "$ca" ] || ca=$(dirname -- "$state")/swtpm-ca
mkdir -p -- "$ca" || fx_die "cannot create CA folder $ca"
ca=$(fx_abspath "$ca")
case $state$ca in *"'"* | *,* | *[[:space:]]*) fx_die "STATEDIR and CADIR must not contain quotes, commas or blanks" ;; esac

# One swtpm-up/down at a time per STATEDIR. (swtpm itself holds STATEDIR/.lock
# while it runs, so our lock has a different name.)
exec 9>"$state/.fixture.lock"
flock -w 30 9 || fx_die "$state is locked by another swtpm-up/down for 30 s"

if pid=$(fx_pid_alive "$state") && [ -r "$state/env" ]; then
	port=$(fx_env_get "$state" SWTPM_PORT)
	[ -n "$port" ] || fx_die "swtpm $pid runs for $state but $state/env has no SWTPM_PORT"
	fx_log "swtpm $pid already serves $state on port $port"
	if [ "$ecc" = 1 ]; then
		"$here/ek-p256.sh" "$state" >&2 || fx_die "cannot add the ECC P-256 EK certificate to $state"
	fi
	echo "swtpm:host=127.0.0.1,port=$port"
	exit 0
fi
# A swtpm without env (or a stale pid file): stop it, start afresh.
fx_stop "$state" || fx_die "cannot stop the old swtpm of $state"
rm -f -- "$state/env" "$state/swtpm.pid"

# --- the CA and provisioning ----------------------------------------------
"$here/swtpm-ca.sh" --create "$ca" >&2 || fx_die "cannot create the CA in $ca"

if [ ! -s "$state/tpm2-00.permall" ]; then
	t0=$(fx_ms)
	if ! swtpm_setup --tpm2 --tpmstate "$state" --config "$ca/swtpm_setup.conf" \
		--create-ek-cert --create-platform-cert --lock-nvram --overwrite \
		--write-ek-cert-files "$state" \
		--pcr-banks sha1,sha256 --logfile "$state/setup.log" >&2; then
		tail -n 5 "$state/setup.log" >&2 || true
		rm -f -- "$state/tpm2-00.permall"
		fx_die "swtpm_setup failed for $state (log: $state/setup.log)"
	fi
	fx_log "provisioned $state with CA $ca in $(($(fx_ms) - t0)) ms"
fi

# --- start swtpm on a free port pair --------------------------------------
# ss(8) tells us whether a port is taken (any state, so TIME_WAIT too); the
# bind can still lose a race with another process, so retry a few times.
port_taken() {
	command -v ss >/dev/null 2>&1 || return 1
	[ -n "$(ss -Htan "( sport = :$1 or sport = :$2 )" 2>/dev/null)" ]
}

t0=$(fx_ms)
port=""
for _try in 1 2 3 4 5 6 7 8; do
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 39999))
	port_taken "$p" $((p + 1)) && continue
	logsize=$(stat -c %s "$state/swtpm.log" 2>/dev/null || echo 0)
	if swtpm socket --tpm2 --tpmstate "dir=$state" \
		--server "type=tcp,port=$p,bindaddr=127.0.0.1" \
		--ctrl "type=tcp,port=$((p + 1)),bindaddr=127.0.0.1" \
		--flags not-need-init,startup-clear --daemon \
		--pid "file=$state/swtpm.pid" --log "file=$state/swtpm.log" >&2 9>&-; then
		port=$p
		break
	fi
	# Only a lost port race is worth another try.
	tail -c +$((logsize + 1)) "$state/swtpm.log" 2>/dev/null | grep -q 'Address already in use' ||
		fx_die "swtpm failed to start for $state: $(tail -c +$((logsize + 1)) "$state/swtpm.log" 2>/dev/null | tr '\n' ' ')"
done
[ -n "$port" ] || fx_die "no free port pair found for swtpm after 8 tries"

# --daemon returns once the sockets are bound, so this is normally at once;
# bounded at ~5 s all the same.
for _i in $(seq 1 50); do
	fx_port_open "$port" && break
	sleep 0.1
done
fx_port_open "$port" || fx_die "swtpm for $state does not accept connections on port $port"
pid=$(fx_pid_alive "$state") || fx_die "swtpm for $state started but its pid file is missing or stale"
fx_log "swtpm $pid serves $state on 127.0.0.1:$port (ctrl $((port + 1))), up in $(($(fx_ms) - t0)) ms"

tcti="swtpm:host=127.0.0.1,port=$port"
cat >"$state/env.tmp" <<EOF
# written by swtpm-fixtures/swtpm-up.sh; removed by swtpm-down.sh
EPH_TCTI='$tcti'
TPM2TOOLS_TCTI='$tcti'
SWTPM_PORT=$port
SWTPM_CTRL_PORT=$((port + 1))
SWTPM_PID=$pid
SWTPM_STATE='$state'
SWTPM_CA='$ca'
export EPH_TCTI TPM2TOOLS_TCTI SWTPM_PORT SWTPM_CTRL_PORT SWTPM_PID SWTPM_STATE SWTPM_CA
EOF
mv -f -- "$state/env.tmp" "$state/env"

# --ecc: add the P-256 EK cert if this state has none yet (needs the TPM up).
if [ "$ecc" = 1 ]; then
	"$here/ek-p256.sh" "$state" >&2 || {
		fx_stop "$state" || true
		rm -f -- "$state/env" "$state/swtpm.pid"
		fx_die "cannot add the ECC P-256 EK certificate to $state"
	}
fi

echo "$tcti"
