#!/usr/bin/env python3
"""make-json-seeds.py - regenerate the seed corpora of the targets added for
the fuzzing campaign (issue 9): policy, appraise_refs, attrs_json, eph_conf,
tpmq_pcrs, tpmq_ekcert, tdx_collateral, qnet_transitions, sim_trace.

    tests/fuzz/make-json-seeds.py [ROOT]    (default: the checkout holding this file)

Writes tests/fuzz/corpora/<parser>/ deterministically (same bytes on every
run). Inputs come from the project itself: docs/examples/policy/ (our own
example policy folder), the shapes the unit tests load and refuse, the PCK
chains of our synthesised tdx_quote seeds, and documents written here for
the fixed quotes inside tdx_collateral_fuzzer.c. Nothing is read from
../shared/vectors. The CRL and EK certificate seeds need the Python
cryptography package; they are signed with the test root key of
tests/unit/tdx/tdx_build.c and the test EK CA key below. ECDSA signatures
are randomised, so those eight files differ between runs; the rest does not.
"""
import json
import os
import re
import struct
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
CORPORA = os.path.join(ROOT, "tests", "fuzz", "corpora")
EXAMPLES = os.path.join(ROOT, "docs", "examples", "policy")


def write(parser, name, data):
    d = os.path.join(CORPORA, parser)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def example(name):
    with open(os.path.join(EXAMPLES, name), "rb") as f:
        return f.read()


def dumps(obj):
    return json.dumps(obj, indent=1, sort_keys=False)


# ---------------------------------------------------------------- policy
SIZES = [{"name": "s%d" % i, "vcpu_milli": 250 << i, "mem_mib": 256 << i} for i in range(5)]


def policy(rules, **extra):
    doc = {"version": 1, "sizes": SIZES}
    doc.update(extra)
    doc["rules"] = rules
    return dumps(doc)


def seeds_policy():
    write("policy", "example", example("policy.json"))
    write("policy", "catch-all", policy([{"name": "all", "match": {}, "constraints": {}}]))
    write("policy", "every-condition", policy([
        {"name": "base", "match": {}, "constraints": {
            "max_vcpu_milli": 8000, "max_mem_mib": 8192, "sizes": ["s0", "s1", "s2"],
            "network": "allowlist", "allowlist": ["pypi.org:443", "10.0.0.0/8"],
            "encryption": "at-rest", "max_ttl_s": 3600, "reattest_s": 60,
            "dedicated": False}},
        {"name": "analyst", "description": "d", "match": {
            "min_confidence": 0.5, "role": "analyst",
            "clearance": {">=": 2, "<=": 5, "min_confidence": 0.8},
            "platform": {"in": ["sev-snp", "tdx"]}, "debug_token": {"present": False},
            "user_id": {"max_confidence": 0.9}},
         "constraints": {"sizes": ["s1", "s2", "s3"], "network": "full",
                         "encryption": "confidential-only", "dedicated": True}},
        {"name": "no-debug", "match": {"debug_token": {"present": True}},
         "constraints": {"deny": True}},
        {"name": "bools", "match": {"secure_boot": True, "clearance": 3},
         "constraints": {"max_ttl_s": 60}},
    ], confidence={"hardware": 1.0, "hardware_stale": 0.6, "issuer": 0.8, "self": 0.2,
                   "warning_penalty": 0.25,
                   "per_attribute": {"clearance": {"issuer": 0.9, "self": 0.0}}},
        defaults={"network": "none", "encryption": "none", "max_ttl_s": 600,
                  "reattest_s": 300}))
    write("policy", "deny-all", policy([{"name": "deny", "match": {}, "constraints":
                                         {"deny": True}}]))
    write("policy", "refused-version", policy([]).replace('"version": 1', '"version": 2'))
    write("policy", "refused-unknown-size", policy([
        {"name": "r", "match": {}, "constraints": {"sizes": ["nope"]}}]))
    write("policy", "refused-duplicate-key", '{"version": 1, "version": 1, "rules": []}')
    write("policy", "refused-syntax", '{"version": 1,\n "rules": [\n')


# ---------------------------------------------------------------- appraise_refs
def seeds_appraise_refs():
    write("appraise_refs", "0-golden-example", b"\x00" + example("golden-pcrs.json"))
    write("appraise_refs", "1-ima-example", b"\x01" + example("ima-allowlist.json"))
    write("appraise_refs", "2-reference-example", b"\x02" + example("reference.json"))
    golden = {"sha256": {"0": ["0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf",
                               "00" * 32],
                         "10": "11" * 32},
              "sha1": {"0": "22" * 20, "23": ["33" * 20]},
              "sha384": {"1": "44" * 48}}
    write("appraise_refs", "0-golden-lists", b"\x00" + dumps(golden).encode())
    ima = {"digests": {"/init": ["e9002ba6c5a98f5b7a33dc6bbf9ac1863873b713", "aa" * 32],
                       "boot_aggregate": ["00" * 20]},
           "excludes": ["^/tmp/(a|b)*!$", "/var/log/.*", "[[:alpha:]]+\\.so"]}
    write("appraise_refs", "1-ima-excludes", b"\x01" + dumps(ima).encode())
    ref = {"event_digests": [{"pcr": 7, "type": "EV_EFI_VARIABLE_DRIVER_CONFIG",
                              "alg": "sha256", "digests": ["55" * 32]}],
           "images": ["sha256:" + "00" * 31 + "01"],
           "tcb": {"snp": {"minimum": {"fmc": 0, "bootloader": 1, "tee": 0, "snp": 1,
                                       "microcode": 1}},
                   "tdx": {"affirming": ["UpToDate", "SWHardeningNeeded"],
                           "warning": ["ConfigurationNeeded", "OutOfDate"]}}}
    write("appraise_refs", "2-reference-tcb", b"\x02" + dumps(ref).encode())
    write("appraise_refs", "0-refused-bank", b'\x00{"sha999": {}}')
    write("appraise_refs", "2-refused-key", b'\x02{"golden": 1}')


# ---------------------------------------------------------------- attrs_json
def seeds_attrs_json():
    write("attrs_json", "example", dumps({
        "role": {"value": "analyst", "source": "issuer"},
        "clearance": {"value": 3, "source": "issuer", "warnings": ["issuer key rotated"]},
        "secure_boot": {"value": True, "source": "hardware"}}))
    write("attrs_json", "every-source", dumps({
        "platform": {"value": "sev-snp", "source": "hardware", "confidence": 1.0},
        "tcb_status": {"value": "UpToDate", "source": "hardware_stale",
                       "warnings": ["a", "b", "c", "d", "e"]},
        "user_id": {"value": "alice", "source": "self"},
        "debug_token": {"value": False, "source": "self", "confidence": 0.3}}))
    write("attrs_json", "empty", "{}")
    write("attrs_json", "refused-source", '{"role": {"value": "x", "source": "nope"}}')
    write("attrs_json", "refused-key", '{"role": {"value": "x", "source": "self", "z": 1}}')


# ---------------------------------------------------------------- eph_conf
def seeds_eph_conf():
    write("eph_conf", "agent", "# ephemera-agent\n"
          "broker = https://127.0.0.1:8443\n"
          "pin = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
          "state_dir = /var/lib/ephemera-agent\n"
          "period = 60\n\n"
          "pcrs=sha256:0,1,2,3,4,5,6,7+sha1:all\n")
    write("eph_conf", "broker-crlf", "listen = 127.0.0.1:8443\r\n"
          "  policy_dir =\t/etc/ephemera/policy \r\n"
          "# comment\r\n"
          "\t\r\n"
          "store = /var/lib/ephemera/broker.db\r\n"
          "empty =\r\n")
    write("eph_conf", "stop", "a = 1\nstop = now\nb = 2\n")
    write("eph_conf", "no-final-newline", "key = value = more")
    write("eph_conf", "refused-no-equals", "key value\n")
    write("eph_conf", "refused-empty-key", " = value\n")
    write("eph_conf", "refused-nul", b"a = 1\n\x00b = 2\n")


# ---------------------------------------------------------------- tpmq_pcrs
ALGS = {"sha1": (0x0004, 20), "sha256": (0x000b, 32), "sha384": (0x000c, 48)}


def pcr_file(banks, per_list=8):
    """banks: [(alg name, [pcr, ...])]; digests are bytes of the PCR number."""
    sel = struct.pack("<I", len(banks))
    for i in range(16):
        if i < len(banks):
            alg, pcrs = banks[i]
            mask = 0
            for p in pcrs:
                mask |= 1 << p
            sel += struct.pack("<HB", ALGS[alg][0], 3) + struct.pack("<I", mask) + b"\x00"
        else:
            sel += b"\x00" * 8
    digests = []
    for alg, pcrs in banks:
        size = ALGS[alg][1]
        for p in sorted(pcrs):
            digests.append(struct.pack("<H", size) + bytes([p]) * size + b"\x00" * (64 - size))
    lists = []
    for i in range(0, len(digests), per_list):
        chunk = digests[i:i + per_list]
        lists.append(struct.pack("<I", len(chunk)) + b"".join(chunk) +
                     b"\x00" * (66 * (8 - len(chunk))))
    return sel + struct.pack("<I", len(lists)) + b"".join(lists)


def seeds_tpmq_pcrs():
    write("tpmq_pcrs", "0-sha256-0-1-2", b"\x00" + pcr_file([("sha256", [0, 1, 2])]))
    write("tpmq_pcrs", "0-sha1-sha256-0-9",
          b"\x00" + pcr_file([("sha1", list(range(10))), ("sha256", list(range(10)))]))
    write("tpmq_pcrs", "0-sha384-15-16-22-split",
          b"\x00" + pcr_file([("sha384", [15, 16, 22])], per_list=2))
    write("tpmq_pcrs", "0-refused-short", b"\x00" + pcr_file([("sha256", [0])])[:-10])
    # Found by the campaign (an oracle that expected EFORMAT; the library's
    # EUNSUPPORTED for hash 0x0000 is by design): kept as a regression seed.
    write("tpmq_pcrs", "crash-unknown-hash-eunsupported", b"\x00\x01" + b"\x00" * 155)
    for i, spec in enumerate(["sha256:0,1,2+sha1:all", "sha1:0,1,2,3,4,5,6,7",
                              "sha384:all", "sha256:23", "sha256:0+sha256:1", "sha512:0"]):
        write("tpmq_pcrs", "1-spec-%d" % i, b"\x01" + spec.encode())


# ---------------------------------------------------------------- tdx_collateral
def tcb_level(sgx, pcesvn, tdx, status, date="2024-01-01T00:00:00Z"):
    return {"tcb": {"sgxtcbcomponents": [{"svn": s} for s in sgx], "pcesvn": pcesvn,
                    "tdxtcbcomponents": [{"svn": s} for s in tdx]},
            "tcbDate": date, "tcbStatus": status}


def seeds_tdx_collateral():
    sgx_hi = [5] * 8 + [0] * 8
    sgx_lo = [3] * 8 + [0] * 8
    tdx_lo = [3, 0, 5] + [0] * 13
    tcb = {"tcbInfo": {
        "id": "TDX", "version": 3,
        "issueDate": "2024-05-01T00:00:00Z", "nextUpdate": "2024-07-01T00:00:00Z",
        "fmspc": "50806f000000", "pceId": "0000", "tcbType": 0, "tcbEvaluationDataNumber": 17,
        "tdxModule": {"mrsigner": "00" * 48, "attributes": "0000000000000000",
                      "attributesMask": "FFFFFFFFFFFFFFFF"},
        "tdxModuleIdentities": [{
            "id": "TDX_01", "mrsigner": "00" * 48, "attributes": "0000000000000000",
            "attributesMask": "FFFFFFFFFFFFFFFF",
            "tcbLevels": [{"tcb": {"isvsvn": 4}, "tcbDate": "2024-01-01T00:00:00Z",
                           "tcbStatus": "UpToDate"},
                          {"tcb": {"isvsvn": 2}, "tcbDate": "2023-01-01T00:00:00Z",
                           "tcbStatus": "OutOfDate"}]}],
        "tcbLevels": [tcb_level(sgx_hi, 13, [5, 0, 5] + [0] * 13, "UpToDate"),
                      tcb_level(sgx_lo, 11, tdx_lo, "SWHardeningNeeded"),
                      tcb_level([0] * 16, 0, [0] * 16, "OutOfDate", "2020-01-01T00:00:00Z")]},
        "signature": "00" * 64}
    write("tdx_collateral", "0-tcbinfo", b"\x00" + json.dumps(tcb).encode())
    # Found by the campaign (an oracle that did not expect EUNSUPPORTED for
    # an unknown document version): kept as a regression seed.
    write("tdx_collateral", "crash-tcbinfo-version-4-eunsupported",
          b"\x00" + json.dumps(tcb).replace('"version": 3', '"version": 4', 1).encode())
    other = json.loads(json.dumps(tcb))
    other["tcbInfo"]["fmspc"] = "00a06d080000"
    write("tdx_collateral", "0-tcbinfo-other-fmspc", b"\x00" + json.dumps(other).encode())
    expired = json.loads(json.dumps(tcb))
    expired["tcbInfo"]["nextUpdate"] = "2024-05-02T00:00:00Z"
    del expired["tcbInfo"]["tdxModuleIdentities"]
    write("tdx_collateral", "0-tcbinfo-expired", b"\x00" + json.dumps(expired).encode())
    qe = {"enclaveIdentity": {
        "id": "TD_QE", "version": 2,
        "issueDate": "2024-05-01T00:00:00Z", "nextUpdate": "2024-07-01T00:00:00Z",
        "tcbEvaluationDataNumber": 17,
        "miscselect": "00000000", "miscselectMask": "FFFFFFFF",
        "attributes": "11000000000000000000000000000000",
        "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000",
        "mrsigner": "DC" * 32, "isvprodid": 2,
        "tcbLevels": [{"tcb": {"isvsvn": 5}, "tcbDate": "2024-01-01T00:00:00Z",
                       "tcbStatus": "UpToDate"},
                      {"tcb": {"isvsvn": 4}, "tcbDate": "2023-01-01T00:00:00Z",
                       "tcbStatus": "OutOfDate"}]},
        "signature": "00" * 64}
    write("tdx_collateral", "1-qeid", b"\x01" + json.dumps(qe).encode())
    qe["enclaveIdentity"]["id"] = "QE"
    qe["enclaveIdentity"]["mrsigner"] = "00" * 32
    write("tdx_collateral", "1-qeid-sgx-other-signer", b"\x01" + json.dumps(qe).encode())

    # PCK chains: the certification data of our own synthesised quotes.
    qdir = os.path.join(CORPORA, "tdx_quote")
    for name in ("v4-basic", "v4-platform-instance", "v5-body15"):
        with open(os.path.join(qdir, name), "rb") as f:
            q = f.read()
        start = q.find(b"-----BEGIN CERTIFICATE-----")
        end = q.rfind(b"-----END CERTIFICATE-----")
        if start < 0 or end < 0:
            continue
        end += len(b"-----END CERTIFICATE-----\n")
        write("tdx_collateral", "2-pck-chain-" + name, b"\x02" + q[start:end])

    src = open(os.path.join(ROOT, "tests", "fuzz", "tdx_quote_fuzzer.c")).read()
    m = re.search(r'root_pem\[\] = ((?:\s*"[^"]*")+);', src)
    root_pem = "".join(re.findall(r'"([^"]*)"', m.group(1))).replace("\\n", "\n")
    write("tdx_collateral", "3-test-root", b"\x03" + root_pem.encode())

    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
    except ImportError:
        print("make-json-seeds: no cryptography package, CRL seeds skipped", file=sys.stderr)
        return
    import datetime
    bsrc = open(os.path.join(ROOT, "tests", "unit", "tdx", "tdx_build.c")).read()
    m = re.search(r'tb_root_key_pem\[\] = ((?:\s*"[^"]*")+);', bsrc)
    key_pem = "".join(re.findall(r'"([^"]*)"', m.group(1))).replace("\\n", "\n")
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    root = x509.load_pem_x509_certificate(root_pem.encode())
    t0 = datetime.datetime(2024, 1, 1)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
           .last_update(t0).next_update(t0 + datetime.timedelta(days=3650))
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(0x1234)
                                    .revocation_date(t0).build())
           .sign(key, hashes.SHA256()))
    write("tdx_collateral", "4-crl-der", b"\x04" + crl.public_bytes(serialization.Encoding.DER))
    write("tdx_collateral", "4-crl-pem", b"\x04" + crl.public_bytes(serialization.Encoding.PEM))


# ---------------------------------------------------------------- sim_trace, qnet_transitions
SIM_HEADER = ("arrival_s,class,role,sensitivity,role_conf,sensitivity_conf,asked_vcpu_milli,"
              "asked_mem_mib,duration_s,cpu_p50_milli,cpu_p95_milli,cpu_max_milli,mem_p50_mib,"
              "mem_p95_mib,mem_max_mib,usage_source\n")


def seeds_sim_trace():
    write("sim_trace", "two-rows", "# ephemera sim trace (docs/sim-trace-format.md), source: fuzz\n"
          + SIM_HEADER +
          "0.000000,bb-16,service,medium,1,0.5,1000,2048,3600,3,4,6,127,132,135,measured\n"
          "1.5,fn:a.b,function,low,0.3,1,250,128,0.25,10,20,30,1,2,3,synthetic\n")
    write("sim_trace", "crlf-every-role", SIM_HEADER.replace("\n", "\r\n") +
          "0,a,batch,high,0,0,1,1,1e-6,0,0,0,0,0,0,derived\r\n"
          "2,b,ml,low,1,1,100000000,100000000,1e10,1,1,100000000,5,6,7,measured\r\n")
    write("sim_trace", "refused-order", SIM_HEADER +
          "5,a,batch,high,0,0,1,1,1,0,0,0,0,0,0,derived\n"
          "1,a,batch,high,0,0,1,1,1,0,0,0,0,0,0,derived\n")
    write("sim_trace", "header-only", SIM_HEADER)


def seeds_qnet_transitions():
    write("qnet_transitions", "dim2", "# ephemera-transitions v1\n"
          "s0,s1,action,mask,reward,n0,n1,next_mask,done\n"
          "0.5,-1,1,0x3,-0.25,0,0,0x3,1\n"
          "0.125,3e-5,0,0x1,1.5,0.25,-0.5,0xffffffffffffffff,0\n")
    st = ",".join("s%d" % i for i in range(32))
    nx = ",".join("n%d" % i for i in range(32))
    row = ",".join("%g" % (i / 8.0 - 2) for i in range(32))
    write("qnet_transitions", "dim32", st + ",action,mask,reward," + nx + ",next_mask,done\n" +
          row + ",63,0x8000000000000000,-0.0123," + row + ",0x3f0ff,0\n")
    write("qnet_transitions", "refused-action-not-in-mask",
          "s0,action,mask,reward,n0,next_mask,done\n1,2,0x1,0,0,0x1,0\n")


# ---------------------------------------------------------------- tpmq_ekcert
# The test EK CA's key (fuzzing only, nothing trusts it): its certificate is
# ca_pem in tpmq_ekcert_fuzzer.c.
EK_CA_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUNV5LpF9bEV+4AFF
1u4XTS+E0ZAAg0wSxk+JjbEp2OGhRANCAAQgPQG8txBR9EJHaKktWnxNMn5DU/Km
fKhWpm+5pwgLdut17N17+KjBWi1swEX85B9oNIizPZKb005DAlSTySxM
-----END PRIVATE KEY-----
"""


def seeds_tpmq_ekcert():
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID
    except ImportError:
        print("make-json-seeds: no cryptography package, EK seeds skipped", file=sys.stderr)
        return
    import datetime
    src = open(os.path.join(ROOT, "tests", "fuzz", "tpmq_ekcert_fuzzer.c")).read()
    m = re.search(r"ek_pub\[\] = \{([^}]*)\}", src)
    pub = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(1)))
    n = int.from_bytes(pub[-256:], "big")
    ek_key = rsa.RSAPublicNumbers(65537, n).public_key()
    ca_key = serialization.load_pem_private_key(EK_CA_KEY.encode(), None)
    m = re.search(r'ca_pem\[\] =((?:\s*"[^"]*")+);', src)
    ca = x509.load_pem_x509_certificate(
        "".join(re.findall(r'"([^"]*)"', m.group(1))).replace("\\n", "\n").encode())

    def tcg_san():
        # tcg-at-tpmManufacturer, tpmModel, tpmVersion, one RDN each
        attrs = [("2.23.133.2.1", "id:49424D00"), ("2.23.133.2.2", "swtpm"),
                 ("2.23.133.2.3", "id:20191023")]
        dn = x509.Name([x509.RelativeDistinguishedName(
            [x509.NameAttribute(x509.ObjectIdentifier(oid), v)]) for oid, v in attrs])
        return x509.SubjectAlternativeName([x509.DirectoryName(dn)])

    def leaf(pubkey, signer=ca_key, issuer=None, start=datetime.datetime(2026, 1, 1),
             days=36500, extra=()):
        b = (x509.CertificateBuilder().subject_name(x509.Name([]))
             .issuer_name(issuer if issuer is not None else ca.subject)
             .public_key(pubkey).serial_number(0x1000 + days)
             .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
             .add_extension(tcg_san(), critical=True)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(False, False, True, False, False, False, False, False,
                                          False), critical=True))
        for ext, crit in extra:
            b = b.add_extension(ext, critical=crit)
        return b.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    # subjectDirectoryAttributes { tpmSpecification 2.23.133.2.16: "2.0", 1, 59 }
    sda = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("2.5.29.9"),
        bytes.fromhex("3016" "3014" "06056781050210" "310b" "3009" "0c03322e30" "020101"
                      "02013b"))
    write("tpmq_ekcert", "ek-rsa-tcg-san", leaf(ek_key))
    write("tpmq_ekcert", "ek-rsa-sda-critical", leaf(ek_key, extra=[(sda, True)]))
    write("tpmq_ekcert", "ek-unknown-critical",
          leaf(ek_key, extra=[(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"),
                                                          b"\x05\x00"), True)]))
    other = ec.derive_private_key(12345, ec.SECP256R1())
    write("tpmq_ekcert", "ek-other-issuer",
          leaf(ek_key, signer=other,
               issuer=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else")])))
    write("tpmq_ekcert", "ek-expired", leaf(ek_key, start=datetime.datetime(2026, 1, 1), days=30))
    write("tpmq_ekcert", "ek-ecc-not-the-ek", leaf(ec.derive_private_key(777, ec.SECP384R1())
                                                   .public_key()))


def main():
    seeds_policy()
    seeds_appraise_refs()
    seeds_attrs_json()
    seeds_eph_conf()
    seeds_tpmq_pcrs()
    seeds_tdx_collateral()
    seeds_sim_trace()
    seeds_qnet_transitions()
    seeds_tpmq_ekcert()


if __name__ == "__main__":
    main()
