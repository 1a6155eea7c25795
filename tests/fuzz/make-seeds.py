#!/usr/bin/env python3
"""make-seeds.py - regenerate the seed corpus of evlog_fuzzer.c.

    tests/fuzz/make-seeds.py [OUTDIR]     (default: tests/fuzz/corpora/evlog)

Writes small synthetic TCG firmware event logs, deterministically (same bytes
on every run, no randomness, no timestamps). Every file starts with one byte
that evlog_fuzzer.c turns into parse flags (bit 0: EVLOG_F_CCEL, bit 1:
EVLOG_F_ALLOW_PADDING); the rest is the log.

Format: TCG PC Client Platform Firmware Profile 1.05, section 10, all
little-endian:
  TCG_PCR_EVENT   u32 pcr, u32 type, sha1[20], u32 size, data
  TCG_EfiSpecIDEvent  "Spec ID Event03\\0", u32 platformClass, u8 minor,
                  u8 major (2), u8 errata, u8 uintnSize (2),
                  u32 numberOfAlgorithms, {u16 algId, u16 size}[],
                  u8 vendorInfoSize, vendorInfo
  TCG_PCR_EVENT2  u32 pcr, u32 type, u32 count, {u16 alg, digest}[],
                  u32 size, data

Deliberately synthesised here rather than copied from real machines' logs:
no file of ../shared/vectors may enter the repository.
"""
import hashlib
import os
import struct
import sys

EV_POST_CODE = 0x00000001
EV_NO_ACTION = 0x00000003
EV_SEPARATOR = 0x00000004
EV_ACTION = 0x00000005
EV_EVENT_TAG = 0x00000006
EV_S_CRTM_VERSION = 0x00000008
EV_IPL = 0x0000000D
EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001
EV_EFI_VARIABLE_BOOT = 0x80000002
EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003
EV_EFI_ACTION = 0x80000007
EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008
EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000A
EV_EFI_HANDOFF_TABLES2 = 0x8000000B
EV_EFI_VARIABLE_AUTHORITY = 0x800000E0

ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512, ALG_SM3 = 0x04, 0x0B, 0x0C, 0x0D, 0x12
ALGS = {
    ALG_SHA1: ("sha1", 20),
    ALG_SHA256: ("sha256", 32),
    ALG_SHA384: ("sha384", 48),
    ALG_SHA512: ("sha512", 64),
    ALG_SM3: ("sm3", 32),
}

F_CCEL, F_PAD = 0x1, 0x2

# EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c, stored mixed-endian.
EFI_GLOBAL_VARIABLE = bytes.fromhex("61dfe48bca93d211aa0d00e098032b8c")
# EFI_IMAGE_SECURITY_DATABASE_GUID d719b2cb-3d3a-4596-a3bc-dad00e67656f
EFI_IMAGE_SECURITY_DATABASE = bytes.fromhex("cbb219d73a3d9645a3bcdad00e67656f")


def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def utf16(s):
    return s.encode("utf-16-le")


def digest(alg, data):
    name, size = ALGS[alg]
    if alg == ALG_SM3:
        # Not every hashlib has sm3; any fixed bytes will do for a seed.
        return hashlib.sha256(b"sm3:" + data).digest()[:size]
    return hashlib.new(name, data).digest()


# --- event bodies -----------------------------------------------------------


def specid03(algs, vendor=b"", platform_class=0, errata=0):
    body = b"Spec ID Event03\0" + u32(platform_class) + u8(0) + u8(2) + u8(errata) + u8(2)
    body += u32(len(algs))
    for alg in algs:
        body += u16(alg) + u16(ALGS[alg][1])
    return body + u8(len(vendor)) + vendor


def specid00(vendor=b""):
    # TCG_EfiSpecIdEventStruct of TPM 1.2 logs (PFP 1.05, 10.4.5.1, version 1.2).
    return b"Spec ID Event00\0" + u32(0) + u8(2) + u8(1) + u8(0) + u8(2) + u8(len(vendor)) + vendor


def startup_locality(loc):
    return b"StartupLocality\0" + u8(loc)


def efi_var(guid, name, data):
    return guid + u64(len(name)) + u64(len(data)) + utf16(name) + data


def efi_image(location, length, link, devpath):
    return u64(location) + u64(length) + u64(link) + u64(len(devpath)) + devpath


def devpath_file(path):
    # Media/File path node (type 4, subtype 4) then the end-of-path node.
    name = utf16(path + "\0")
    return u8(4) + u8(4) + u16(4 + len(name)) + name + bytes.fromhex("7fff0400")


def blob(base, length):
    return u64(base) + u64(length)


def blob2(desc, base, length):
    return u8(len(desc)) + desc + u64(base) + u64(length)


def tagged(tag_id, data):
    return u32(tag_id) + u32(len(data)) + data


SEPARATOR = u32(0)
SEPARATOR_ERROR = u32(0xFFFFFFFF)

# --- records ----------------------------------------------------------------


def pcr_event(pcr, etype, data, sha1=None):
    """TCG_PCR_EVENT (legacy, and the header of a crypto-agile log)."""
    if sha1 is None:
        sha1 = b"\0" * 20 if etype == EV_NO_ACTION else digest(ALG_SHA1, data)
    return u32(pcr) + u32(etype) + sha1 + u32(len(data)) + data


def pcr_event2(algs, pcr, etype, data, hashed=None):
    """TCG_PCR_EVENT2; EV_NO_ACTION events carry all-zero digests."""
    out = u32(pcr) + u32(etype) + u32(len(algs))
    for alg in algs:
        if etype == EV_NO_ACTION:
            d = b"\0" * ALGS[alg][1]
        else:
            d = digest(alg, data if hashed is None else hashed)
        out += u16(alg) + d
    return out + u32(len(data)) + data


def agile_log(algs, events, vendor=b""):
    out = pcr_event(0, EV_NO_ACTION, specid03(algs, vendor))
    for pcr, etype, data, *rest in events:
        out += pcr_event2(algs, pcr, etype, data, rest[0] if rest else None)
    return out


def pc_client_events():
    """A short but complete PC Client boot: one event of each decoded kind."""
    return [
        (0, EV_NO_ACTION, startup_locality(3)),
        (0, EV_S_CRTM_VERSION, utf16("1.00\0")),
        (0, EV_EFI_PLATFORM_FIRMWARE_BLOB2, blob2(b"DXEFV", 0xFF840000, 0x00C00000)),
        (0, EV_EFI_PLATFORM_FIRMWARE_BLOB, blob(0xFFC00000, 0x00400000)),
        (1, EV_EVENT_TAG, tagged(0x00000001, b"ephemera-seed")),
        (7, EV_EFI_VARIABLE_DRIVER_CONFIG, efi_var(EFI_GLOBAL_VARIABLE, "SecureBoot", b"\x01")),
        (7, EV_EFI_VARIABLE_DRIVER_CONFIG, efi_var(EFI_GLOBAL_VARIABLE, "PK", b"")),
        (7, EV_EFI_VARIABLE_DRIVER_CONFIG,
         efi_var(EFI_IMAGE_SECURITY_DATABASE, "db", b"\x30\x82\x00\x04seed")),
        (1, EV_EFI_VARIABLE_BOOT, efi_var(EFI_GLOBAL_VARIABLE, "BootOrder", u16(1) + u16(0))),
        (4, EV_EFI_ACTION, b"Calling EFI Application from Boot Option"),
    ] + [(pcr, EV_SEPARATOR, SEPARATOR) for pcr in range(8)] + [
        (7, EV_EFI_VARIABLE_AUTHORITY,
         efi_var(EFI_IMAGE_SECURITY_DATABASE, "db", b"\x30\x82\x00\x04cert")),
        (4, EV_EFI_BOOT_SERVICES_APPLICATION,
         efi_image(0x7E000000, 0x00100000, 0, devpath_file("\\EFI\\BOOT\\BOOTX64.EFI")),
         b"the image's Authenticode digest stands here"),
        (5, EV_EFI_ACTION, b"Exit Boot Services Invocation"),
    ]


def legacy_log(with_specid00):
    out = b""
    if with_specid00:
        out += pcr_event(0, EV_NO_ACTION, specid00())
    for pcr, etype, data in [
        (0, EV_S_CRTM_VERSION, utf16("1.00\0")),
        (0, EV_POST_CODE, blob(0xFFF00000, 0x00100000)),
        (4, EV_ACTION, b"Calling INT 19h"),
        (5, EV_EFI_ACTION, b"Exit Boot Services Invocation"),
        (7, EV_EFI_VARIABLE_DRIVER_CONFIG, efi_var(EFI_GLOBAL_VARIABLE, "SecureBoot", b"\x00")),
        (8, EV_IPL, b"grub_cmd: linux /vmlinuz root=/dev/sda1\0"),
    ] + [(pcr, EV_SEPARATOR, SEPARATOR) for pcr in range(8)] + [
        (4, EV_EFI_BOOT_SERVICES_APPLICATION,
         efi_image(0x7E000000, 0x1000, 0, devpath_file("\\EFI\\BOOT\\BOOTX64.EFI"))),
    ]:
        out += pcr_event(pcr, etype, data)
    return out


def ccel_log(algs, fill, fill_len):
    # TDX CCEL: header index 0 is kept as in PFP; events use MR index 1..4
    # (RTMR0..3). Firmware reserves a fixed area and fills the rest.
    events = [
        (1, EV_EFI_PLATFORM_FIRMWARE_BLOB2, blob2(b"TDVF", 0xFFC84000, 0x00370000)),
        (1, EV_EFI_VARIABLE_DRIVER_CONFIG, efi_var(EFI_GLOBAL_VARIABLE, "SecureBoot", b"\x00")),
        (1, EV_EFI_HANDOFF_TABLES2, u8(9) + b"ACPI DATA" + u64(1) + bytes(16) + u64(0x7FB7E000)),
    ] + [(mr, EV_SEPARATOR, SEPARATOR) for mr in (1, 2)] + [
        (2, EV_EFI_BOOT_SERVICES_APPLICATION,
         efi_image(0x7D000000, 0x00200000, 0, devpath_file("\\EFI\\BOOT\\BOOTX64.EFI")),
         b"shim digest"),
        (3, EV_EVENT_TAG, tagged(0x00000002, b"kernel cmdline")),
        (4, EV_IPL, b"grub_cmd: boot\0"),
    ]
    return agile_log(algs, events) + fill * fill_len


def seeds():
    all_algs = [ALG_SHA1, ALG_SHA256]
    yield "agile-sha1-sha256", 0, agile_log(all_algs, pc_client_events())
    yield "agile-sha1-sha256-ccel-flags", F_CCEL | F_PAD, agile_log(all_algs, pc_client_events())
    yield "agile-sha256-vendorinfo", 0, agile_log([ALG_SHA256], pc_client_events()[:6],
                                                  vendor=b"ephemera vendor info\0")
    yield "agile-four-banks", 0, agile_log([ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512],
                                           pc_client_events()[:8])
    # sm3_256: a bank some OpenSSL builds lack (EPH_EUNSUPPORTED on replay).
    yield "agile-sha256-sm3", 0, agile_log([ALG_SHA256, ALG_SM3], pc_client_events()[:5])
    yield "agile-separator-error", 0, agile_log(all_algs, [
        (0, EV_NO_ACTION, startup_locality(0)),
        (0, EV_SEPARATOR, SEPARATOR_ERROR),
        (1, EV_SEPARATOR, u32(1)),
    ])
    yield "agile-header-only", 0, agile_log(all_algs, [])
    yield "legacy-sha1", 0, legacy_log(False)
    yield "legacy-sha1-specid00", 0, legacy_log(True)
    yield "ccel-sha384-ff-padding", F_CCEL | F_PAD, ccel_log([ALG_SHA384], b"\xff", 512)
    yield "ccel-sha256-zero-padding", F_CCEL | F_PAD, ccel_log([ALG_SHA256], b"\x00", 64)
    yield "ccel-sha384-unpadded", F_CCEL, ccel_log([ALG_SHA384], b"", 0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpora", "evlog")
    os.makedirs(outdir, exist_ok=True)
    for name, flags, log in seeds():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(u8(flags) + log)
        print(f"{name}: {1 + len(log)} bytes, flags 0x{flags:x}")


if __name__ == "__main__":
    main()
