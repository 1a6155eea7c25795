#!/bin/sh
# make-cwt-seeds.sh - (re)make the seeds of tests/fuzz/corpora/cwt/ for
# cwt_fuzzer.c: tokens minted with ephemera-token under the fuzzer's fixed
# issuer key (RFC 8392 A.2.3, issuer "fuzz-issuer", now = 1444000000), the
# RFC 8392 A.3 token, and hand-edited variants that stop at each check.
#
#   tests/fuzz/make-cwt-seeds.sh path/to/ephemera-token
#
# Needs openssl(1) and python3. Seeds signed with a random cti differ on
# every run; that is fine for a corpus.
set -eu
tool=${1:?usage: make-cwt-seeds.sh path/to/ephemera-token}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpora/cwt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

d=6c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858bc206c19
x=143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f
y=60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9
# RFC 5915 ECPrivateKey with the P-256 OID and the public point.
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(
  '30770201010420$d' 'a00a06082a8648ce3d030107' 'a144034200' '04$x$y'))" > "$tmp/k.der"
openssl ec -inform DER -in "$tmp/k.der" -out "$tmp/k.pem" 2>/dev/null

mint() { name=$1; shift
	"$tool" mint --key "$tmp/k.pem" --iss fuzz-issuer --sub alice --role analyst \
		--clearance 2 --sensitivity confidential --vcpu 2000 --mem 4096 \
		--duration 3600 --ttl 3600 --now 1443999000 "$@" -o "$out/$name"
}
mint minted-tag18
mint minted-untagged --untagged
mint minted-tag61 --cwt-tag
mint minted-nokid --no-kid --aud ephemera-broker --class batch --cti 0b71
mint minted-expired --ttl 60

python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
a3 = bytes.fromhex(
    "d28443a10126a104524173796d6d657472696345434453413235365850a701756"
    "36f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f"
    "61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d"
    "9f0061a5610d9f007420b7158405427c1ff28d23fbad1f29c4c7c6a555e601d6f"
    "a29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f85951ecee743a5"
    "2b9b63632c57209120e1c9e30")
def w(name, b):
    open(f"{out}/{name}", "wb").write(b)
w("rfc8392-a3", a3)
# Variants of A.3 that stop at one check each (signature no longer matters).
w("a3-alg-es384", a3.replace(bytes.fromhex("43a10126"), bytes.fromhex("44a1013822"), 1))
w("a3-alg-unprotected", bytes.fromhex("d28440a20126") + a3[7:])
w("a3-crit", a3.replace(bytes.fromhex("43a10126"), bytes.fromhex("46a20126028101"), 1))
w("a3-indefinite", bytes.fromhex("d29f") + a3[2:] + b"\xff")
w("a3-trailing", a3 + b"\x00")
w("a3-mac0", b"\xd1" + a3[1:])
w("a3-truncated", a3[:100])
w("a3-dup-claim", a3.replace(bytes.fromhex("5850a7"), bytes.fromhex("5852a8"), 1)
  .replace(bytes.fromhex("420b71"), bytes.fromhex("420b710102"), 1))
w("deep-arrays", bytes.fromhex("d284") + b"\x81" * 20 + b"\x00")
w("huge-count", bytes.fromhex("d2849bffffffffffffffff"))
PY
ls "$out"
