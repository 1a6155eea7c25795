#!/usr/bin/env bash
# ek-p256.sh - give a running fixture TPM an ECC P-256 EK certificate.
#
# Usage: ek-p256.sh STATEDIR     (swtpm-up.sh --ecc calls it)
#
# swtpm_setup 0.7 certifies an RSA-2048 EK (NV 0x01c00002) and an ECC
# NIST P-384 EK (high range, 0x01c00016), but no P-256 EK (low range,
# 0x01c0000a), which is what most hardware TPMs carry. This adds one, the
# way a TPM vendor would: create the EK from the default template (TCG EK
# Credential Profile L-2, what tpm2_createek -G ecc uses), have
# swtpm_localca sign a cert for its public key with the fixture's CA, and
# store it under the platform hierarchy with the attributes swtpm_setup gives
# its own cert indexes, write-locked. Does nothing if 0x01c0000a exists.
# Our transient EK is flushed again.
set -euo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
# shellcheck source=fixture-lib.sh
. "$here/fixture-lib.sh"

[ $# -eq 1 ] || { echo "usage: $fx_name STATEDIR" >&2; exit 2; }
fx_need tpm2_createek tpm2-tools
state=$(fx_abspath "$1")
TPM2TOOLS_TCTI=$(fx_env_get "$state" TPM2TOOLS_TCTI)
ca=$(fx_env_get "$state" SWTPM_CA)
if [ -z "$TPM2TOOLS_TCTI" ] || [ -z "$ca" ]; then
	fx_die "$state/env missing: run swtpm-up.sh first"
fi
export TPM2TOOLS_TCTI

nv=0x01c0000a
# tpm2_getcap prints "- 0x1C0000A".
if tpm2_getcap handles-nv-index | grep -qix -- "- 0x0*${nv#0x0}"; then
	exit 0
fi

tmp=$(mktemp -d "$state/.ek-p256.XXXXXX")
# Flush only the handle our EK got (new since before tpm2_createek): the TPM
# may hold other users' objects, and flushing a saved context file would only
# flush a reloaded copy.
before=$(tpm2_getcap handles-transient)
flush_ours() {
	local h
	for h in $(tpm2_getcap handles-transient | sed -n 's/^- //p'); do
		grep -qx -- "- $h" <<<"$before" || tpm2_flushcontext "$h" >/dev/null 2>&1 || true
	done
	rm -rf -- "$tmp"
}
trap flush_ours EXIT

# What swtpm_setup tells swtpm_localca about the TPM, read from the TPM.
prop() { tpm2_getcap properties-fixed | sed -n "/^$1:/{n;s/^ *raw: *//p;}"; }
rev=$(($(prop TPM2_PT_REVISION)))
level=$(($(prop TPM2_PT_LEVEL)))
fw=$(prop TPM2_PT_FIRMWARE_VERSION_1)
fw=${fw#0x}

tpm2_createek -c "$tmp/ek.ctx" -G ecc -u "$tmp/ek.pem" -f pem >/dev/null
# SubjectPublicKeyInfo of a P-256 key ends with the 64 bytes X || Y.
xy=$(openssl pkey -pubin -in "$tmp/ek.pem" -outform DER | tail -c 64 | od -An -v -tx1 | tr -d ' \n')
[ ${#xy} -eq 128 ] || fx_die "unexpected EK public key in $tmp/ek.pem"

swtpm_localca --type ek --ek "x=${xy:0:64},y=${xy:64:64},id=secp256r1" --dir "$tmp" \
	--tpm-spec-family 2.0 --tpm-spec-level "$level" --tpm-spec-revision "$rev" \
	--tpm-manufacturer id:00001014 --tpm-model swtpm --tpm-version "id:$fw" --tpm2 \
	--configfile "$ca/swtpm-localca.conf" --optsfile "$ca/swtpm-localca.options" >&2
[ -s "$tmp/ek.cert" ] || fx_die "swtpm_localca wrote no certificate"

size=$(stat -c %s "$tmp/ek.cert")
tpm2_nvdefine "$nv" -C p -s "$size" \
	-a "ppwrite|writedefine|ppread|ownerread|authread|no_da|platformcreate" >/dev/null
tpm2_nvwrite "$nv" -C p -i "$tmp/ek.cert"
tpm2_nvwritelock "$nv" -C p
fx_log "stored an ECC P-256 EK certificate ($size bytes) at $nv"
