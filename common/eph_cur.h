/*
 * eph_cur.h - a bounds-checked little/big-endian reader over untrusted bytes.
 *
 * Every parser reads hostile input through a cursor: each read checks the
 * remaining length first and fails (returns -1, cursor unchanged) instead of
 * overrunning. pos is kept so that errors can name the byte offset.
 * Deliberately header-only and inline: parsers call these in tight loops.
 */
#ifndef EPH_CUR_H
#define EPH_CUR_H

#include <stddef.h>
#include <stdint.h>

struct eph_cur {
	const uint8_t *base; /* first byte of the whole buffer */
	size_t len;          /* length of the whole buffer */
	size_t pos;          /* offset of the next unread byte */
};

static inline void eph_cur_init(struct eph_cur *c, const uint8_t *buf, size_t len)
{
	c->base = buf;
	c->len = len;
	c->pos = 0;
}

static inline size_t eph_cur_left(const struct eph_cur *c)
{
	return c->len - c->pos;
}

/* Point *out at the next n bytes and step over them. */
static inline int eph_cur_bytes(struct eph_cur *c, size_t n, const uint8_t **out)
{
	if (n > c->len - c->pos)
		return -1;
	*out = c->base + c->pos;
	c->pos += n;
	return 0;
}

static inline int eph_cur_skip(struct eph_cur *c, size_t n)
{
	const uint8_t *p;

	return eph_cur_bytes(c, n, &p);
}

static inline int eph_cur_u8(struct eph_cur *c, uint8_t *v)
{
	if (c->len - c->pos < 1)
		return -1;
	*v = c->base[c->pos++];
	return 0;
}

static inline int eph_cur_u16le(struct eph_cur *c, uint16_t *v)
{
	const uint8_t *p;

	if (eph_cur_bytes(c, 2, &p) < 0)
		return -1;
	*v = (uint16_t)(p[0] | (p[1] << 8));
	return 0;
}

static inline int eph_cur_u32le(struct eph_cur *c, uint32_t *v)
{
	const uint8_t *p;

	if (eph_cur_bytes(c, 4, &p) < 0)
		return -1;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return 0;
}

static inline int eph_cur_u64le(struct eph_cur *c, uint64_t *v)
{
	uint32_t lo, hi;
	size_t save = c->pos;

	if (eph_cur_u32le(c, &lo) < 0 || eph_cur_u32le(c, &hi) < 0) {
		c->pos = save;
		return -1;
	}
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static inline int eph_cur_u16be(struct eph_cur *c, uint16_t *v)
{
	const uint8_t *p;

	if (eph_cur_bytes(c, 2, &p) < 0)
		return -1;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

static inline int eph_cur_u32be(struct eph_cur *c, uint32_t *v)
{
	const uint8_t *p;

	if (eph_cur_bytes(c, 4, &p) < 0)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return 0;
}

#endif
