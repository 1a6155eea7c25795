#!/usr/bin/env bash
# envs-setup.sh - everything a broker with the sandbox driver needs, in one
# fresh folder: its TLS key and certificate, the vTPM CA (whose bundle is the
# EK trust), a CWT issuer (key + public key in the trust folder), and a
# shell file with the broker's command line.
#
# Usage: envs-setup.sh WORKDIR BUILDDIR [POLICYDIR]
#
#   WORKDIR    created if missing; must be empty or hold an earlier setup
#   BUILDDIR   a CMake build folder of Ephemera (ephemera-broker, -agent, -token)
#   POLICYDIR  default: docs/examples/sandbox-policy
#
# Writes WORKDIR/broker.env (shell-sourceable):
#   BROKER_ARGS  ephemera-broker's options (without --port/--port-file)
#   BROKER_PIN   the pin of the broker's key (sha256//...)
#   ISSUER_KEY   the CWT issuer's private key (issuer name "idp")
# Layout: tls/ ektrust/ cwt/idp.pem issuer-key.pem envs/ (env root, vTPM CA
# in envs/swtpm-ca, broker.sock) store.db (once the broker runs).
# Progress goes to stderr; exits 1 with one line on failure.
set -euo pipefail

die() { echo "envs-setup.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: envs-setup.sh WORKDIR BUILDDIR [POLICYDIR]" >&2; exit 2; }
here=$(cd -- "$(dirname -- "$0")" && pwd -P)
src=$(cd -- "$here/.." && pwd -P)
mkdir -p -- "$1"
w=$(cd -- "$1" && pwd -P)
b=$(cd -- "$2" && pwd -P) || die "no build folder $2"
pol=${3:-$src/docs/examples/sandbox-policy}
pol=$(cd -- "$pol" && pwd -P) || die "no policy folder ${3:-}"
broker=$b/broker/daemon/ephemera-broker
agent=$b/agent/daemon/ephemera-agent
for f in "$broker" "$agent"; do [ -x "$f" ] || die "$f is not built"; done
command -v openssl >/dev/null || die "openssl is needed"

mkdir -p "$w/ektrust" "$w/cwt" "$w/envs"
chmod 700 "$w/envs"
[ -s "$w/tls/broker-cert.pem" ] ||
	"$broker" --gen-self-signed "$w/tls" >/dev/null || die "cannot make the broker's TLS key"
# The vTPMs' CA: every sandbox's EK certificate chains to it, so its bundle
# is what the broker trusts for EKs.
"$src/swtpm-fixtures/swtpm-ca.sh" --create "$w/envs/swtpm-ca" >&2 || die "cannot create the vTPM CA"
"$src/swtpm-fixtures/swtpm-ca.sh" "$w/envs/swtpm-ca" "$w/ektrust" >&2 || die "cannot export the vTPM CA"
if [ ! -s "$w/issuer-key.pem" ]; then
	(umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$w/issuer-key.pem") ||
		die "cannot make the CWT issuer key"
fi
openssl ec -in "$w/issuer-key.pem" -pubout -out "$w/cwt/idp.pem" 2>/dev/null ||
	die "cannot export the CWT issuer key"
pin=sha256//$(openssl x509 -in "$w/tls/broker-cert.pem" -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A)

cat >"$w/broker.env" <<EOF
# written by scripts/envs-setup.sh
BROKER_ARGS="--tls-cert $w/tls/broker-cert.pem --tls-key $w/tls/broker-key.pem --store $w/store.db --ek-trust $w/ektrust --cwt-trust $w/cwt --policy $pol --driver sandbox --env-root $w/envs --swtpm-fixtures $src/swtpm-fixtures --env-agent $agent"
BROKER_PIN="$pin"
ISSUER_KEY="$w/issuer-key.pem"
EOF
echo "envs-setup.sh: $w ready (policy $pol)" >&2
