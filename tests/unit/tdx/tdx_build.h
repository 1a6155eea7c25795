/*
 * tdx_build.h - synthesise TDX quotes for the tests and the fuzz seeds:
 * OpenSSL-generated QE/attestation/PCK/CA keys, a PCK certificate with an
 * Intel SGX extension built byte by byte, a chain up to a fixed test root
 * (or a fresh self-made one), all signatures real. Nothing here is Intel's.
 */
#ifndef TDX_BUILD_H
#define TDX_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tdx.h"

/* The fixed test root ("Ephemera TEST SGX Root CA (not Intel)", 2020..2099). */
extern const char tb_root_pem[];
extern const char tb_root_key_pem[];

#define TB_FMSPC "\x50\x80\x6f\x00\x00\x00"

struct tb_opts {
	int version;            /* 4 (default when 0) or 5 */
	int body15;             /* v5: TD quote body 1.5 */
	uint64_t td_attributes; /* default 0x10000000 (SEPT_VE_DISABLE) */
	int self_root;          /* chain to a fresh self-made root instead of tb_root_pem */
	time_t leaf_not_after;  /* 0: 2099-12-31 */
	uint16_t qe_auth_len;   /* default 32 */
	size_t trailing;        /* zero bytes appended after the signature data */
	int platform_instance;  /* add a PlatformInstanceID to the SGX extension */
	uint8_t module_major;   /* TEE_TCB_SVN[1]; TEE_TCB_SVN is {3, major, 5, 0...} */
};

struct tb_quote {
	uint8_t *buf;
	size_t len;
	uint8_t report_data[64];
	uint8_t mrtd[48];
	uint8_t rtmr[4][48];
};

/* Build a quote; asserts (criterion) on any failure. Free with tb_free. */
void tb_build(struct tb_quote *out, const struct tb_opts *o);
void tb_free(struct tb_quote *q);

/* The PCK SGX TCB components and PCESVN the builder puts in the leaf. */
extern const uint8_t tb_comp_svn[16];
#define TB_PCESVN 11

/* A trust for tb_root_pem (TDX_TRUST_ANY_ROOT); asserts on failure. */
tdx_trust *tb_trust(void);

#endif
