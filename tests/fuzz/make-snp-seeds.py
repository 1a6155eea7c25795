#!/usr/bin/env python3
"""make-snp-seeds.py - regenerate the seed corpora of snp_report_fuzzer.c and
snp_vcek_fuzzer.c.

    tests/fuzz/make-snp-seeds.py [CORPORA_DIR]   (default: tests/fuzz/corpora)

Writes corpora/snp_report/ and corpora/snp_vcek/, deterministically: keys are
derived from fixed numbers, certificates are signed with Ed25519 (whose
signatures are deterministic), times are fixed. Needs python3-cryptography.

Reports follow the SEV-SNP ABI spec #56860, "ATTESTATION_REPORT Structure"
(1184 bytes, little-endian; see cvm/snp/src/report.c for the layout).
Certificates carry the AMD KDS extensions of spec #57230 under
1.3.6.1.4.1.3704.1 (see cvm/snp/src/vcek_ext.c).

Deliberately synthesised here rather than copied from real machines or the
shared vectors: no file of ../shared/vectors may enter the repository.
"""
import datetime
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

REPORT_SIZE = 0x4A0


def tcb(bl, tee, snp, ucode, fmc=None):
    if fmc is None:  # Milan/Genoa: bl, tee, 4 reserved, snp, ucode
        return bytes([bl, tee, 0, 0, 0, 0, snp, ucode])
    return bytes([fmc, bl, tee, snp, 0, 0, 0, ucode])  # Turin


def report(version=2, policy=0x30000, vmpl=0, key_info=0, t=tcb(3, 0, 8, 115),
           cpuid=(0, 0, 0), fill=0x11, sig=True):
    r = bytearray(REPORT_SIZE)
    struct.pack_into("<IIQ", r, 0, version, 1, policy)
    r[0x10:0x20] = bytes([fill]) * 16                 # family_id
    r[0x20:0x30] = bytes([fill + 1]) * 16             # image_id
    struct.pack_into("<II", r, 0x30, vmpl, 1)         # vmpl, ECDSA P-384
    r[0x38:0x40] = t                                  # current_tcb
    struct.pack_into("<QI", r, 0x40, 0x25, key_info)  # platform_info, key info
    r[0x50:0x90] = bytes(range(64))                   # report_data
    r[0x90:0xC0] = bytes([0xA5]) * 48                 # measurement
    r[0x140:0x160] = bytes([0x42]) * 32               # report_id
    r[0x160:0x180] = b"\xff" * 32                     # report_id_ma: none
    r[0x180:0x188] = t                                # reported_tcb
    if version >= 3:
        r[0x188:0x18B] = bytes(cpuid)
    if not key_info & 2:
        r[0x1A0:0x1E0] = bytes(range(0x80, 0xC0))     # chip_id
    r[0x1E0:0x1E8] = t                                # committed_tcb
    r[0x1E8:0x1EB] = bytes([21, 55, 1])               # current build/minor/major
    r[0x1EC:0x1EF] = bytes([21, 55, 1])
    r[0x1F0:0x1F8] = t                                # launch_tcb
    if sig:  # not a valid signature, but coordinates of the right shape
        r[0x2A0:0x2A0 + 48] = bytes([0x5A]) * 48
        r[0x2E8:0x2E8 + 48] = bytes([0x3C]) * 48
    return bytes(r)


def reports():
    return {
        "v2-milan": report(),
        "v2-zero-signature": report(sig=False),
        "v2-debug-ma": report(policy=0x30000 | 1 << 18 | 1 << 19),
        "v2-vlek-masked-chip": report(key_info=1 << 2 | 2),
        "v2-vmpl2-author-key": report(vmpl=2, key_info=1),
        "v3-genoa": report(version=3, cpuid=(0x19, 0x11, 1), t=tcb(10, 0, 23, 25)),
        "v3-siena": report(version=3, cpuid=(0x19, 0xA0, 2), t=tcb(10, 0, 23, 25)),
        "v3-turin": report(version=3, cpuid=(0x1A, 0x02, 0), t=tcb(2, 0, 5, 60, fmc=1)),
        "v3-single-socket": report(version=3, policy=0x30000 | 1 << 20,
                                   cpuid=(0x19, 0x01, 1)),
        "short": report()[:0x2A0],
    }


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Engineering"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Santa Clara"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "CA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Advanced Micro Devices"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def der_int(v):
    body = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return bytes([0x02, len(body)]) + body


def der_ia5(s):
    return bytes([0x16, len(s)]) + s.encode()


def amd(sub):
    return x509.ObjectIdentifier("1.3.6.1.4.1.3704.1." + sub)


SIGNER = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
T1 = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)


def cert(cn, issuer, exts, key_seed=7, ca=False):
    key = ec.derive_private_key(key_seed, ec.SECP384R1())
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(key_seed)
         .not_valid_before(T0).not_valid_after(T1))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    for oid, value in exts:
        b = b.add_extension(x509.UnrecognizedExtension(amd(oid), value), critical=False)
    return b.sign(SIGNER, None)


def vcek_exts(product, bl, tee, snp, ucode, hwid, fmc=None):
    e = [("1", der_int(0)), ("2", der_ia5(product)), ("3.1", der_int(bl)),
         ("3.2", der_int(tee))]
    e += [("3.%d" % i, der_int(0)) for i in (4, 5, 6, 7)]
    e += [("3.3", der_int(snp)), ("3.8", der_int(ucode))]
    if fmc is not None:
        e.append(("3.9", der_int(fmc)))
    if hwid is not None:
        e.append(("4", hwid))
    return e


def certs():
    chip = bytes(range(0x80, 0xC0))
    der = serialization.Encoding.DER
    pem = serialization.Encoding.PEM
    milan = cert("SEV-VCEK", "SEV-Milan", vcek_exts("Milan-B0", 3, 0, 8, 115, chip))
    wrapped = cert("SEV-VCEK", "SEV-Genoa",
                   vcek_exts("Genoa-B1", 10, 0, 23, 169, b"\x04\x40" + chip))
    turin = cert("SEV-VCEK", "SEV-Turin",
                 vcek_exts("Turin-B0", 2, 0, 5, 60, chip[:8], fmc=1))
    vlek = cert("SEV-VLEK", "SEV-VLEK-Genoa",
                vcek_exts("Genoa", 10, 0, 23, 25, None) + [("5", der_ia5("example-csp"))])
    nohwid = cert("SEV-VCEK", "SEV-Milan", vcek_exts("Milan-B1", 3, 0, 8, 115, None))
    ark = cert("ARK-Milan", "ARK-Milan", [], key_seed=11, ca=True)
    ask = cert("SEV-Milan", "ARK-Milan", [], key_seed=12, ca=True)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(name("ARK-Milan"))
           .last_update(T0).next_update(T1)
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(12)
                                    .revocation_date(T0).build())
           .sign(SIGNER, None))
    return {
        "milan-vcek-raw-hwid.der": milan.public_bytes(der),
        "genoa-vcek-wrapped-hwid.der": wrapped.public_bytes(der),
        "turin-vcek-8-byte-hwid.der": turin.public_bytes(der),
        "genoa-vlek-csp-id.der": vlek.public_bytes(der),
        "milan-vcek-no-hwid.der": nohwid.public_bytes(der),
        "milan-vcek.pem": milan.public_bytes(pem),
        "bundle-vcek-ask-ark.pem": milan.public_bytes(pem) + ask.public_bytes(pem)
        + ark.public_bytes(pem),
        "ark-crl.der": crl.public_bytes(der),
    }


def write(d, files):
    os.makedirs(d, exist_ok=True)
    for fname, data in sorted(files.items()):
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpora")
    write(os.path.join(out, "snp_report"), reports())
    write(os.path.join(out, "snp_vcek"), certs())


if __name__ == "__main__":
    main()
