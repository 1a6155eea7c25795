/*
 * rm_spoil.h - helpers that make one thing wrong in otherwise good input
 * (see rm_spoil.c). Each asserts on its own failures.
 */
#ifndef RM_SPOIL_H
#define RM_SPOIL_H

#include <stddef.h>
#include <stdint.h>

#include "rm_fixture.h"

#define RM_IMA_ALLOWED "/usr/bin/allowed"
#define RM_IMA_ROGUE "/usr/bin/rogue"

/* The TPM's genuine EK certificate, issuer name changed to a CA the test
 * just made and re-signed by it (new buffer). */
uint8_t *rm_ek_cert_other_ca(size_t *len);

/* A binary ima-ng list of two entries (RM_IMA_ALLOWED with digest 11..11,
 * RM_IMA_ROGUE with 22..22), measured into PCR 10 on first use; edited:
 * one byte of the second entry's file digest flipped (new buffer). */
void rm_ima_list(uint8_t **out, size_t *len, int edited);

/* Flip one byte of the first measured event's first digest; returns its PCR. */
uint32_t rm_evlog_spoil(uint8_t *log, size_t len);

/* A GHCB certificate table holding one VCEK (new buffer). */
uint8_t *rm_snp_certtable(size_t *len, const uint8_t *vcek, size_t vcek_len);

/* Turn the agent id of an encoded attest body into a byte string. */
void rm_cbor_wrong_type(uint8_t *body, size_t len);

#endif
