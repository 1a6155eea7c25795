#!/usr/bin/env python3
"""make-snp-certtable-seeds.py - regenerate the seed corpus of
snp_certtable_fuzzer.c.

    tests/fuzz/make-snp-certtable-seeds.py [CORPORA_DIR]  (default: tests/fuzz/corpora)

Writes corpora/snp_certtable/, deterministically: certificate tables of an
SNP extended report (GHCB spec #56421 2.03, 4.1.8.1: entries of GUID[16],
offset u32le, length u32le, ended by an all-zero entry; offsets from the
start of the buffer) holding small self-made certificates named like AMD's
(SEV-VCEK, SEV-VLEK, SEV-Milan, ARK-Milan), signed with Ed25519 (whose
signatures are deterministic) at fixed times. Needs python3-cryptography.

Synthesised here rather than taken from a machine or the shared vectors:
no file of ../shared/vectors may enter the repository.
"""
import datetime
import os
import struct
import sys
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

GUID = {
    "vcek": uuid.UUID("63da758d-e664-4564-adc5-f4b93be8accd").bytes,
    "vlek": uuid.UUID("a8074bc2-a25a-483e-aae6-39c045a0b8a1").bytes,
    "ask": uuid.UUID("4ab7b379-bbac-4fe4-a02f-05aef327c782").bytes,
    "ark": uuid.UUID("c0b406a4-a803-4952-9743-3fb6014cd0ae").bytes,
    "crl": uuid.UUID("92f81bc3-5811-4d3d-97ff-d19f88dc67ea").bytes,  # not in the GHCB spec
}
T0 = datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc)


def cert(cn, issuer_cn, seed):
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    name = lambda n: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, n)])
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(issuer_cn))
         .public_key(key.public_key()).serial_number(seed)
         .not_valid_before(T0).not_valid_after(T0 + datetime.timedelta(days=3650)))
    return b.sign(key, None).public_bytes(serialization.Encoding.DER)


def table(entries, pad=0, gap=0):
    """entries: [(name, bytes)]; the certificates follow the table."""
    off = 24 * (len(entries) + 1) + gap
    head, body = b"", b""
    for name, blob in entries:
        head += GUID[name] + struct.pack("<II", off + len(body), len(blob))
        body += blob
    return head + bytes(24) + bytes(gap) + body + bytes(pad)


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpora"),
                       "snp_certtable")
    os.makedirs(out, exist_ok=True)
    vcek = cert("SEV-VCEK", "SEV-Milan", 1)
    vlek = cert("SEV-VLEK", "SEV-VLEK-Milan", 2)
    ask = cert("SEV-Milan", "ARK-Milan", 3)
    ark = cert("ARK-Milan", "ARK-Milan", 4)
    seeds = {
        "vcek-ask-ark": table([("vcek", vcek), ("ask", ask), ("ark", ark)]),
        "vcek-ask-ark-page": table([("vcek", vcek), ("ask", ask), ("ark", ark)],
                                   pad=4096 - 96 - len(vcek) - len(ask) - len(ark)),
        "ark-ask-vcek-order": table([("ark", ark), ("ask", ask), ("vcek", vcek)], gap=8),
        "vlek-asvk-ark": table([("vlek", vlek), ("ask", ask), ("ark", ark)]),
        "vcek-only": table([("vcek", vcek)]),
        "vcek-and-unknown": table([("vcek", vcek), ("crl", b"\x30\x03\x02\x01\x01")]),
        "empty": bytes(24),
        "duplicate": table([("vcek", vcek), ("vcek", vcek)]),
        "no-terminator": GUID["vcek"] + struct.pack("<II", 24, 5) + b"\x30\x03\x02\x01\x01",
        "past-end": GUID["vcek"] + struct.pack("<II", 48, 0xFFFFFFF0) + bytes(24) + vcek,
        "pem-vcek": table([("vcek", b"-----BEGIN CERTIFICATE-----\n" + b"MIIB" * 8 +
                           b"\n-----END CERTIFICATE-----\n")]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
