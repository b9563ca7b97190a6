/* Framing of the agent protocol: CRC-32, COBS and the streaming frame decoder (PROTOCOL.md,
 * "Framing"). Pure functions over buffers: no I/O here. */
#ifndef VM_AGENT_WIRE_H
#define VM_AGENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct frame {
	uint8_t type;
	uint8_t flags;
	uint32_t session;
	uint32_t len;
	const uint8_t *payload; /* points into the decoder's buffer: valid until the next feed */
};

/* Why a block between two delimiters was not a frame. */
enum wire_err { WIRE_OK = 0, WIRE_OVERSIZE, WIRE_COBS, WIRE_SHORT, WIRE_CRC, WIRE_HEADER };

struct decoder {
	uint8_t buf[MAX_ENCODED];
	size_t len;
	int overflow; /* the current block outgrew MAX_ENCODED: drop it up to the next delimiter */
	uint64_t bad_frames;
};

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n);
uint32_t crc32(const uint8_t *p, size_t n);

/* Encodes n bytes into out (room for n + n/254 + 1 bytes); returns the encoded length. */
size_t cobs_encode(const uint8_t *in, size_t n, uint8_t *out);
/* Decodes in place; returns the decoded length or -1 when the block is not valid COBS. */
long cobs_decode(uint8_t *buf, size_t n);

/* Builds a whole wire frame (COBS + delimiter) into out (room for MAX_ENCODED + 1 bytes), using
 * scratch (room for MAX_FRAME bytes). Returns the wire length. */
size_t frame_encode(uint8_t type, uint8_t flags, uint32_t session, const uint8_t *payload,
		    uint32_t len, uint8_t *scratch, uint8_t *out);

/* Feeds bytes; for each complete block calls on_frame (valid frames) or on_bad. Returns the
 * number of bytes consumed, which is always n. */
typedef void (*frame_cb)(void *ctx, const struct frame *f);
typedef void (*bad_cb)(void *ctx, enum wire_err why);
void decoder_feed(struct decoder *d, const uint8_t *p, size_t n, frame_cb on_frame, bad_cb on_bad,
		  void *ctx);

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

#endif
