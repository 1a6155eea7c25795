#!/usr/bin/env bash
# swtpm-ca.sh - the project-local CA that signs fixture EK/platform certs.
#
# Usage: swtpm-ca.sh CADIR OUTDIR   export the trust bundle of CADIR's CA into
#                                   OUTDIR: swtpm-ca-root.pem (the self-signed
#                                   root) and swtpm-ca-issuer.pem (the
#                                   intermediate that signs EK certs)
#        swtpm-ca.sh --create CADIR create the CA if CADIR has none yet and
#                                   (re)write the swtpm_setup/swtpm_localca
#                                   configs pointing into CADIR
#
# Why our own CA instead of letting swtpm_localca make one: swtpm_localca's
# root and issuer are always named CN=swtpm-localca-rootca / CN=swtpm-localca,
# the same names as the machine-wide /var/lib/swtpm-localca and as every other
# CADIR. Ours carry a random id (CADIR/ca-id) in their names, so a bundle of
# another CA fails by name, not only by key. swtpm_localca only creates a CA
# when its signingkey is missing; given ours, it just signs with it.
#
# Layout of CADIR (all created here, nothing outside CADIR is touched):
#   rootca-key.pem rootca-cert.pem   root CA (RSA 2048, CA:TRUE)
#   signkey.pem issuercert.pem       issuing CA (RSA 2048, CA:TRUE pathlen:0)
#   certserial                       next serial, kept by swtpm_localca
#   swtpm_setup.conf swtpm-localca.conf swtpm-localca.options
#   ca-id  .lock  (.lock.swtpm-localca is swtpm_localca's own)
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=fixture-lib.sh
. "$here/fixture-lib.sh"

usage() { echo "usage: $fx_name CADIR OUTDIR | $fx_name --create CADIR" >&2; exit 2; }

# Write the three config files; absolute paths, so rewritten on each call.
write_configs() {
	local d=$1
	cat >"$d/swtpm_setup.conf.tmp" <<EOF
# swtpm_setup --config for TPMs provisioned with this CA (swtpm-fixtures)
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $d/swtpm-localca.conf
create_certs_tool_options = $d/swtpm-localca.options
active_pcr_banks = sha1,sha256
EOF
	cat >"$d/swtpm-localca.conf.tmp" <<EOF
statedir = $d
signingkey = $d/signkey.pem
issuercert = $d/issuercert.pem
certserial = $d/certserial
EOF
	cat >"$d/swtpm-localca.options.tmp" <<EOF
--platform-manufacturer Ephemera
--platform-version 2.1
--platform-model swtpm-fixture
EOF
	local f
	for f in swtpm_setup.conf swtpm-localca.conf swtpm-localca.options; do
		mv -f -- "$d/$f.tmp" "$d/$f"
	done
}

# Create root and issuing CA; issuercert.pem is moved in last, so its
# presence means a complete CA.
create_ca() {
	local d=$1 id ext
	id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	ext=$d/.issuer-ext.cnf
	printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' \
		'keyUsage=critical,keyCertSign,cRLSign' \
		'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >"$ext"
	(
		umask 077
		openssl req -x509 -newkey rsa:2048 -nodes -days 36500 \
			-keyout "$d/rootca-key.pem" -out "$d/rootca-cert.pem" \
			-subj "/O=Ephemera test fixtures/CN=Ephemera swtpm fixture root CA $id" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign \
			-addext subjectKeyIdentifier=hash
		openssl req -new -newkey rsa:2048 -nodes -keyout "$d/signkey.pem" \
			-out "$d/.issuer.csr" \
			-subj "/O=Ephemera test fixtures/CN=Ephemera swtpm fixture EK issuer $id"
		openssl x509 -req -in "$d/.issuer.csr" -CA "$d/rootca-cert.pem" \
			-CAkey "$d/rootca-key.pem" -set_serial 1 -days 36500 \
			-extfile "$ext" -out "$d/.issuercert.pem"
	) >/dev/null 2>"$d/.create.log" || {
		cat "$d/.create.log" >&2
		return 1
	}
	chmod 644 "$d/rootca-cert.pem" "$d/.issuercert.pem"
	echo 1 >"$d/certserial"
	echo "$id" >"$d/ca-id"
	rm -f -- "$d/.issuer.csr" "$ext" "$d/.create.log"
	mv -f -- "$d/.issuercert.pem" "$d/issuercert.pem"
}

if [ "${1:-}" = --create ]; then
	[ $# -eq 2 ] || usage
	fx_need openssl openssl
	fx_need flock util-linux
	mkdir -p -- "$2" || fx_die "cannot create $2"
	ca=$(fx_abspath "$2")
	# Two swtpm-up.sh racing for a new CADIR: the second waits, then sees it.
	exec 8>"$ca/.lock"
	flock -w 60 8 || fx_die "$ca/.lock held for 60 s"
	if [ ! -s "$ca/issuercert.pem" ] || [ ! -s "$ca/signkey.pem" ]; then
		t0=$(fx_ms)
		create_ca "$ca" || fx_die "openssl failed to create the CA in $ca"
		fx_log "created CA $(cat "$ca/ca-id") in $ca in $(($(fx_ms) - t0)) ms"
	fi
	write_configs "$ca"
	exit 0
fi

[ $# -eq 2 ] || usage
case $1 in -*) usage ;; esac
if [ ! -s "$1/issuercert.pem" ] || [ ! -s "$1/rootca-cert.pem" ]; then
	fx_die "no CA in $1 (swtpm-up.sh --ca $1 or $fx_name --create $1 makes one)"
fi
mkdir -p -- "$2" || fx_die "cannot create $2"
# The broker loads every *.pem in OUTDIR: roots become trust anchors, the
# rest intermediates. Copy via a temp name so a reader never sees half a file.
for pair in "rootca-cert.pem:swtpm-ca-root.pem" "issuercert.pem:swtpm-ca-issuer.pem"; do
	cp -f -- "$1/${pair%%:*}" "$2/.${pair##*:}.tmp"
	mv -f -- "$2/.${pair##*:}.tmp" "$2/${pair##*:}"
done
fx_log "exported CA $(cat "$1/ca-id" 2>/dev/null || echo '?') to $2"
