#!/usr/bin/env python3
"""mklog.py - build a UEFI-style TCG event log and the PCR extends it stands for.

Usage: mklog.py [--tamper] [--startup-locality] [--cmdline STR] LOGFILE

Writes LOGFILE, a crypto-agile TCG event log (TCG PC Client PFP 1.05,
section 10: a TCG_PCR_EVENT header carrying "Spec ID Event03" for sha1 and
sha256, then TCG_PCR_EVENT2 records, all little-endian), and prints on stdout
one line per measured event, in log order:

    PCR SHA1HEX SHA256HEX

which firmware-boot.sh extends into a fresh TPM (tpm2_pcrextend), so that
replaying LOGFILE gives exactly the TPM's PCRs 0-8.

The boot it describes is an OVMF-like Secure Boot (edk2 Tcg2Dxe order):
  PCR0  [EV_NO_ACTION StartupLocality 0, only with --startup-locality],
        EV_S_CRTM_VERSION,
        two EV_EFI_PLATFORM_FIRMWARE_BLOBs (PEIFV, DXEFV)
  PCR7  EV_EFI_VARIABLE_DRIVER_CONFIG SecureBoot=1, PK, KEK, db, dbx, then
        EV_SEPARATOR
  PCR1  EV_EFI_VARIABLE_BOOT BootOrder, Boot0001
  PCR4  EV_EFI_ACTION "Calling EFI Application from Boot Option"
  PCR0-6 EV_SEPARATOR
  PCR7  EV_EFI_VARIABLE_AUTHORITY (the db entry that verified the loader)
  PCR4  EV_EFI_BOOT_SERVICES_APPLICATION \\EFI\\BOOT\\BOOTX64.EFI
  PCR8  EV_IPL "kernel_cmdline: ..." (grub's form: digest over the command
        line alone, event data with the prefix and a NUL)
  PCR5  EV_EFI_ACTION "Exit Boot Services Invocation" / "... with Success"

Where PFP 1.05 (10.4.1) defines the digest as the hash of the event data
(EV_SEPARATOR, EV_EFI_ACTION, EV_EFI_VARIABLE_DRIVER_CONFIG,
EV_EFI_VARIABLE_BOOT (whole UEFI_VARIABLE_DATA), EV_EFI_VARIABLE_AUTHORITY)
it is exactly that; EV_S_CRTM_VERSION's digest is of its data too. Firmware volumes and the loader image do not exist: their
digests are of fixed stand-in bytes.

--startup-locality adds the StartupLocality event (10.4.5.3, locality 0):
harmless to a correct replay (PCR 0 starts at 0 either way, EV_NO_ACTION is
never extended) but tpm2_eventlog 5.4 extends its zero digest into PCR 0 and
so disagrees with the TPM; off by default so that both tools agree.

--tamper: the TPM gets the command line plus " init=/bin/sh" while the log
keeps recording (and hashing) the plain one: a self-consistent log whose
PCR 8 replay disagrees with the TPM.

Not here: EV_EFI_GPT_EVENT, EV_EFI_HANDOFF_TABLES, PCR 9 (files grub reads),
banks other than sha1/sha256. Only the Python standard library is used.
"""
import base64
import hashlib
import os
import struct
import sys

# Event types (PFP 1.05, 10.4.1).
EV_IPL = 0x0000000D
EV_NO_ACTION = 0x00000003
EV_SEPARATOR = 0x00000004
EV_S_CRTM_VERSION = 0x00000008
EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001
EV_EFI_VARIABLE_BOOT = 0x80000002
EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003
EV_EFI_ACTION = 0x80000007
EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008
EV_EFI_VARIABLE_AUTHORITY = 0x800000E0

TPM_ALG_SHA1, TPM_ALG_SHA256 = 0x0004, 0x000B

DEFAULT_CMDLINE = "BOOT_IMAGE=/vmlinuz-6.1.0-ephemera root=/dev/vda1 ro console=ttyS0 quiet"


def guid(text):
    """EFI_GUID bytes of "aabbccdd-eeff-..." (first three fields little-endian)."""
    h = text.replace("-", "")
    return struct.pack("<IHH", int(h[0:8], 16), int(h[8:12], 16), int(h[12:16], 16)) + bytes.fromhex(h[16:])


EFI_GLOBAL_VARIABLE = guid("8be4df61-93ca-11d2-aa0d-00e098032b8c")
EFI_IMAGE_SECURITY_DATABASE = guid("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
EFI_CERT_X509 = guid("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
EFI_CERT_SHA256 = guid("c1c41626-504c-4092-aca9-41f936934328")
OWNER = guid("6e5ea1b2-0d1e-4f0a-9a3c-e9a1e5fe0000")  # "Ephemera fixture" owner
PARTITION = guid("0c4a6b1e-7d3e-4c55-8e2a-5f1d2a3b4c5d")

# Small self-signed P-256 certificates standing in for the Secure Boot keys.
CERTS = {name: base64.b64decode(b64) for name, b64 in {
    "PK": "MIIBlDCCATmgAwIBAgIUKMRf/gARL4kdK8mLsuBu/wUmdjEwCgYIKoZIzj0EAwIwHjEcMBoGA1UE"
          "AwwTRXBoZW1lcmEgZml4dHVyZSBQSzAgFw0yNjExMjUxMjI3MjlaGA8yMTI2MTEwMTEyMjcyOVow"
          "HjEcMBoGA1UEAwwTRXBoZW1lcmEgZml4dHVyZSBQSzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA"
          "BA/3Xb8ijJ4eK7feqn01JgOylQXZxgBYtNj/48ycvEtfa4MmwWdSnB8XkWU8VqIwGLqgfOtlGYwo"
          "nsIbh1z824ujUzBRMB0GA1UdDgQWBBS5uSTkPO8llsv3x/0Z8jjZMghfwzAfBgNVHSMEGDAWgBS5"
          "uSTkPO8llsv3x/0Z8jjZMghfwzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDX"
          "Rxnt20ruUa1A1uwS3zAkph2WcIvR9U8AAG/pV0W+VgIhAKDOvK34KVE0gLT24fqPjD/n73UUFUo8"
          "nN9sAkGMS65P",
    "KEK": "MIIBlTCCATugAwIBAgIUcJJOChPSmcn43ouQhfyS8RGbX/AwCgYIKoZIzj0EAwIwHzEdMBsGA1UE"
           "AwwURXBoZW1lcmEgZml4dHVyZSBLRUswIBcNMjYxMTI1MTIyNzI5WhgPMjEyNjExMDExMjI3Mjla"
           "MB8xHTAbBgNVBAMMFEVwaGVtZXJhIGZpeHR1cmUgS0VLMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD"
           "QgAEnbvOtx4j0jZu53Rhpvjf4kT4wAAhs1MSdTsRD5Gz59mMU8Njs0uFi3jyAVE9ICRNnxY8vF9a"
           "Fl0Ebu9JyFzFbKNTMFEwHQYDVR0OBBYEFJp8cW5FH3nqWDHfMtndDpoPP/qrMB8GA1UdIwQYMBaA"
           "FJp8cW5FH3nqWDHfMtndDpoPP/qrMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh"
           "AON2qg7rf9xDMiwWmGw25KFvty41t4wWuIX2v5SUtlpYAiAuna+3SrDGsX1NI2sPzFEqSxn4WSe4"
           "WBF6JjMsoF+DcA==",
    "db": "MIIBlDCCATmgAwIBAgIUJzqFR6X/pHU5KUcaZhLnRNnnBDUwCgYIKoZIzj0EAwIwHjEcMBoGA1UE"
          "AwwTRXBoZW1lcmEgZml4dHVyZSBkYjAgFw0yNjExMjUxMjI3MjlaGA8yMTI2MTEwMTEyMjcyOVow"
          "HjEcMBoGA1UEAwwTRXBoZW1lcmEgZml4dHVyZSBkYjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA"
          "BETByQoJX0syUWJ24+bPX3ZzC9WGIhm7K9OZGF9tuZlJY4z6CYw/qkEFvSb7qgHDqI+ZJRsGe5f7"
          "dRcWuyrQVoGjUzBRMB0GA1UdDgQWBBQ5Jr+OUu//63V2Gt0xT72QOxV23zAfBgNVHSMEGDAWgBQ5"
          "Jr+OUu//63V2Gt0xT72QOxV23zAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCR"
          "BjdDCQzFnA8VyZl6mZqLSZc8gZ8CtpY8ybTXBLXu6wIhAJlf2Cd+M8Erne/Lu+Xzgd06lxZ0vMiD"
          "AMw/8Gzp/u+j",
}.items()}


def utf16(text):
    return text.encode("utf-16-le")


def variable_data(vendor, name, data):
    """UEFI_VARIABLE_DATA (PFP 1.05, 10.3.3): GUID, name length in CHAR16s,
    data length, the name without NUL, the data."""
    return vendor + struct.pack("<QQ", len(name), len(data)) + utf16(name) + data


def signature_list(sig_type, entries):
    """EFI_SIGNATURE_LIST (UEFI 2.x, 32.4.1) of same-sized entries, each
    preceded by its owner GUID; no signature header."""
    size = 16 + len(entries[0])
    assert all(16 + len(e) == size for e in entries)
    body = b"".join(OWNER + e for e in entries)
    return sig_type + struct.pack("<III", 28 + len(body), 0, size) + body


def device_path(file_path):
    """PciRoot(0)/Pci(3,0)/HD(1,GPT,...)/\\file, then the end node."""
    acpi = struct.pack("<BBHII", 2, 1, 12, 0x0A0341D0, 0)
    pci = struct.pack("<BBHBB", 1, 1, 6, 0, 3)
    hd = struct.pack("<BBHIQQ", 4, 1, 42, 1, 2048, 1048576) + PARTITION + bytes([2, 2])
    name = utf16(file_path + "\0")
    fp = struct.pack("<BBH", 4, 4, 4 + len(name)) + name
    return acpi + pci + hd + fp + bytes([0x7F, 0xFF, 4, 0])


def event2(pcr, etype, data, d1, d256):
    """TCG_PCR_EVENT2 with a TPML_DIGEST_VALUES of sha1 and sha256."""
    return (struct.pack("<III", pcr, etype, 2) +
            struct.pack("<H", TPM_ALG_SHA1) + d1 +
            struct.pack("<H", TPM_ALG_SHA256) + d256 +
            struct.pack("<I", len(data)) + data)


def spec_id_header():
    """TCG_PCR_EVENT (SHA1 format) carrying TCG_EfiSpecIdEvent (10.4.5.1):
    platform class 0 (client), spec 2.0 errata 0, UINTN 8 bytes (uintnSize 2),
    sha1 and sha256, no vendor info."""
    spec = (b"Spec ID Event03\0" + struct.pack("<IBBBB", 0, 0, 2, 0, 2) +
            struct.pack("<I", 2) + struct.pack("<HH", TPM_ALG_SHA1, 20) +
            struct.pack("<HH", TPM_ALG_SHA256, 32) + b"\0")
    return struct.pack("<II", 0, EV_NO_ACTION) + bytes(20) + struct.pack("<I", len(spec)) + spec


def build(cmdline, tamper, startup_locality):
    """Return (log bytes, [(pcr, sha1hex, sha256hex)] to extend)."""
    log = [spec_id_header()]
    extends = []

    def measure(pcr, etype, data, measured=None, extended=None):
        # measured: what the log's digest is of (default: the event data);
        # extended: what the TPM really got (default: the same).
        measured = data if measured is None else measured
        extended = measured if extended is None else extended
        log.append(event2(pcr, etype, data, hashlib.sha1(measured).digest(),
                          hashlib.sha256(measured).digest()))
        extends.append((pcr, hashlib.sha1(extended).hexdigest(), hashlib.sha256(extended).hexdigest()))

    # StartupLocality (10.4.5.3): not extended; zero digests in the log.
    if startup_locality:
        log.append(event2(0, EV_NO_ACTION, b"StartupLocality\0\0", bytes(20), bytes(32)))

    measure(0, EV_S_CRTM_VERSION, utf16("Ephemera fixture firmware 1.0\0"))
    for base, length, name in ((0x820000, 0xE0000, b"PEIFV"), (0x900000, 0xC00000, b"DXEFV")):
        measure(0, EV_EFI_PLATFORM_FIRMWARE_BLOB, struct.pack("<QQ", base, length),
                measured=b"ephemera fixture firmware volume " + name)

    dbx = signature_list(EFI_CERT_SHA256, [hashlib.sha256(b"revoked loader %d" % i).digest() for i in (1, 2)])
    for vendor, name, data in (
            (EFI_GLOBAL_VARIABLE, "SecureBoot", b"\x01"),
            (EFI_GLOBAL_VARIABLE, "PK", signature_list(EFI_CERT_X509, [CERTS["PK"]])),
            (EFI_GLOBAL_VARIABLE, "KEK", signature_list(EFI_CERT_X509, [CERTS["KEK"]])),
            (EFI_IMAGE_SECURITY_DATABASE, "db", signature_list(EFI_CERT_X509, [CERTS["db"]])),
            (EFI_IMAGE_SECURITY_DATABASE, "dbx", dbx)):
        measure(7, EV_EFI_VARIABLE_DRIVER_CONFIG, variable_data(vendor, name, data))
    separator = struct.pack("<I", 0)
    measure(7, EV_SEPARATOR, separator)

    loader = "\\EFI\\BOOT\\BOOTX64.EFI"
    load_option = (struct.pack("<IH", 1, len(device_path(loader))) + utf16("Ephemera\0") + device_path(loader))
    measure(1, EV_EFI_VARIABLE_BOOT, variable_data(EFI_GLOBAL_VARIABLE, "BootOrder", struct.pack("<H", 1)))
    measure(1, EV_EFI_VARIABLE_BOOT, variable_data(EFI_GLOBAL_VARIABLE, "Boot0001", load_option))

    measure(4, EV_EFI_ACTION, b"Calling EFI Application from Boot Option")
    for pcr in range(7):
        measure(pcr, EV_SEPARATOR, separator)

    measure(7, EV_EFI_VARIABLE_AUTHORITY, variable_data(EFI_IMAGE_SECURITY_DATABASE, "db", OWNER + CERTS["db"]))
    image = struct.pack("<QQQQ", 0x7E000000, 0x000E0000, 0, len(device_path(loader))) + device_path(loader)
    measure(4, EV_EFI_BOOT_SERVICES_APPLICATION, image, measured=b"ephemera fixture boot loader image")

    booted = cmdline + " init=/bin/sh" if tamper else cmdline
    measure(8, EV_IPL, b"kernel_cmdline: " + cmdline.encode() + b"\0",
            measured=cmdline.encode(), extended=booted.encode())

    measure(5, EV_EFI_ACTION, b"Exit Boot Services Invocation")
    measure(5, EV_EFI_ACTION, b"Exit Boot Services Returned with Success")
    return b"".join(log), extends


def main(argv):
    tamper, locality, cmdline, args = False, False, DEFAULT_CMDLINE, list(argv)
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--tamper":
            tamper = True
        elif opt == "--startup-locality":
            locality = True
        elif opt == "--cmdline" and args:
            cmdline = args.pop(0)
        else:
            args = []
            break
    if len(args) != 1:
        sys.stderr.write("usage: mklog.py [--tamper] [--startup-locality] [--cmdline STR] LOGFILE\n")
        return 2
    log, extends = build(cmdline, tamper, locality)
    tmp = args[0] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(log)
    os.replace(tmp, args[0])
    for pcr, s1, s256 in extends:
        print(pcr, s1, s256)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
