#!/usr/bin/env bash
# mkconfig-cpio.sh - write the per-VM configuration archive that is appended
# to the guest's initrd-base.cpio.gz: a gzip'd newc cpio holding
# etc/ephemera/agent.conf and, with --cert, etc/ephemera/broker.pem. The
# Linux kernel unpacks concatenated cpio archives in order, so
#     cat initrd-base.cpio.gz config.cpio.gz > vm-initrd
# gives one VM its broker, pin and certificate on top of the shared image.
#
# Usage: mkconfig-cpio.sh OUTFILE --broker-url URL --pin PIN [--cert PEM]
#            [--verify-cert] [--period S] [--start-timeout S]
#            [--hostname NAME] [--ak-alg rsa|ecc] [--pcrs SEL]
#            [--set KEY=VALUE]... [--no-gzip]
#
#   --cert PEM      the broker's certificate, shipped as broker.pem
#   --verify-cert   also verify the broker's certificate chain and name
#                   against broker.pem (agent.conf "cacert"); by default the
#                   SPKI pin alone authenticates the broker, which works
#                   whatever address the guest reaches it at
#   --set KEY=VAL   any other ephemera-agent key (agent/daemon/config.c)
#   --no-gzip       write a plain newc archive (the kernel takes both)
#
# The exact bytes are documented in packaging/guest/README.md ("The per-VM
# configuration archive"); the VM driver writes the same archive in C.
# Not here: checking that the broker is reachable or the pin right (the agent
# does that and logs it on the guest's console).
set -euo pipefail
prog=${0##*/}
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage() {
	echo "usage: $prog OUTFILE --broker-url URL --pin PIN [--cert PEM] [--verify-cert] [--period S] [--start-timeout S] [--hostname NAME] [--ak-alg rsa|ecc] [--pcrs SEL] [--set KEY=VALUE]... [--no-gzip]" >&2
	exit 2
}
command -v cpio >/dev/null 2>&1 || die "cpio not found: apt-get install -y cpio"

out="" url="" pin="" cert="" verify=0 period=60 start_timeout=0 gz=1
extra=()
val() { [ $# -ge 2 ] || usage; }
while [ $# -gt 0 ]; do
	case $1 in
	--broker-url) val "$@"; url=$2; shift 2 ;;
	--pin) val "$@"; pin=$2; shift 2 ;;
	--cert) val "$@"; cert=$2; shift 2 ;;
	--verify-cert) verify=1; shift ;;
	--period) val "$@"; period=$2; shift 2 ;;
	--start-timeout) val "$@"; start_timeout=$2; shift 2 ;;
	--hostname) val "$@"; extra+=("hostname=$2"); shift 2 ;;
	--ak-alg) val "$@"; extra+=("ak_alg=$2"); shift 2 ;;
	--pcrs) val "$@"; extra+=("pcrs=$2"); shift 2 ;;
	--set) val "$@"; extra+=("$2"); shift 2 ;;
	--no-gzip) gz=0; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) [ -z "$out" ] || usage; out=$1; shift ;;
	esac
done
[ -n "$out" ] && [ -n "$url" ] && [ -n "$pin" ] || usage
case $url in https://*) ;; *) die "--broker-url must be https://HOST:PORT" ;; esac
case $pin in sha256//*) ;; *) die "--pin must be sha256//BASE64 (ephemera-broker --gen-self-signed prints it)" ;; esac
case $period$start_timeout in *[!0-9]*) die "--period and --start-timeout take whole seconds" ;; esac
[ "$period" -gt 0 ] || die "--period must be at least 1"
[ "$verify" = 0 ] || [ -n "$cert" ] || die "--verify-cert needs --cert"
if [ -n "$cert" ]; then
	[ -r "$cert" ] || die "--cert $cert: not readable"
	grep -q -- '-----BEGIN CERTIFICATE-----' "$cert" || die "--cert $cert: not a PEM certificate"
fi
# One line per key: a newline in a value would smuggle another key in.
for v in "$url" "$pin" "${extra[@]}"; do
	case $v in *$'\n'* | *$'\r'*) die "values must be one line" ;; esac
done

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
mkdir -p "$tmp/etc/ephemera"
{
	echo "# written by packaging/guest/mkconfig-cpio.sh"
	echo "broker = $url"
	echo "pin = $pin"
	[ "$verify" = 1 ] && echo "cacert = /etc/ephemera/broker.pem"
	echo "tcti = device:/dev/tpmrm0"
	echo "state_dir = /var/lib/ephemera-agent"
	echo "period_s = $period"
	echo "start_timeout = $start_timeout"
	for kv in "${extra[@]}"; do
		k=${kv%%=*}
		[ "$k" != "$kv" ] && [ -n "$k" ] || die "--set $kv: expected KEY=VALUE"
		echo "$k = ${kv#*=}"
	done
} >"$tmp/etc/ephemera/agent.conf"
chmod 0755 "$tmp/etc" "$tmp/etc/ephemera"
chmod 0600 "$tmp/etc/ephemera/agent.conf"
files="etc
etc/ephemera
etc/ephemera/agent.conf"
if [ -n "$cert" ]; then
	cp -- "$cert" "$tmp/etc/ephemera/broker.pem"
	chmod 0644 "$tmp/etc/ephemera/broker.pem"
	files="$files
etc/ephemera/broker.pem"
fi
touch -h -d @0 "$tmp/etc" "$tmp/etc/ephemera" "$tmp"/etc/ephemera/*
if [ "$gz" = 1 ]; then
	(cd -- "$tmp" && printf '%s\n' "$files" | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -9 >"$out.tmp"
else
	(cd -- "$tmp" && printf '%s\n' "$files" | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$out.tmp"
fi
mv -f -- "$out.tmp" "$out"
