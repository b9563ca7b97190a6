/* Framing of the agent protocol: CRC-32 (IEEE 802.3, as zlib), COBS (Cheshire & Baker 1999) and
 * the streaming decoder that splits the byte stream at 0x00 delimiters (PROTOCOL.md, "Framing"). */
#include <string.h>

#include "wire.h"

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	if (!crc_ready) crc_init();
	crc = ~crc;
	while (n--) crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

uint32_t crc32(const uint8_t *p, size_t n)
{
	return crc32_update(0, p, n);
}

size_t cobs_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t code_at = 0, o = 1;
	uint8_t code = 1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == 0) {
			out[code_at] = code;
			code_at = o++;
			code = 1;
			continue;
		}
		out[o++] = in[i];
		if (++code == 0xFF) {
			out[code_at] = code;
			code_at = o++;
			code = 1;
		}
	}
	out[code_at] = code;
	return o;
}

long cobs_decode(uint8_t *buf, size_t n)
{
	size_t i = 0, o = 0;
	while (i < n) {
		uint8_t code = buf[i++];
		if (code == 0 || (size_t)(code - 1) > n - i) return -1;
		/* o <= i - 1 always, so the copy never overtakes the input */
		memmove(buf + o, buf + i, (size_t)code - 1);
		o += (size_t)code - 1;
		i += (size_t)code - 1;
		if (code != 0xFF && i < n) buf[o++] = 0;
	}
	return (long)o;
}

size_t frame_encode(uint8_t type, uint8_t flags, uint32_t session, const uint8_t *payload,
		    uint32_t len, uint8_t *scratch, uint8_t *out)
{
	scratch[0] = PROTO_VERSION;
	scratch[1] = type;
	scratch[2] = flags;
	scratch[3] = 0;
	put_u32(scratch + 4, session);
	put_u32(scratch + 8, len);
	if (len) memcpy(scratch + HDR_SIZE, payload, len);
	put_u32(scratch + HDR_SIZE + len, crc32(scratch, HDR_SIZE + len));
	size_t n = cobs_encode(scratch, HDR_SIZE + len + CRC_SIZE, out);
	out[n++] = 0;
	return n;
}

static enum wire_err parse_block(uint8_t *buf, size_t n, struct frame *f)
{
	long len = cobs_decode(buf, n);
	if (len < 0) return WIRE_COBS;
	if ((size_t)len < HDR_SIZE + CRC_SIZE) return WIRE_SHORT;
	size_t body = (size_t)len - CRC_SIZE;
	if (get_u32(buf + body) != crc32(buf, body)) return WIRE_CRC;
	uint32_t plen = get_u32(buf + 8);
	if (buf[0] != PROTO_VERSION || buf[3] != 0 || plen != body - HDR_SIZE || plen > MAX_PAYLOAD)
		return WIRE_HEADER;
	f->type = buf[1];
	f->flags = buf[2];
	f->session = get_u32(buf + 4);
	f->len = plen;
	f->payload = buf + HDR_SIZE;
	return WIRE_OK;
}

void decoder_feed(struct decoder *d, const uint8_t *p, size_t n, frame_cb on_frame, bad_cb on_bad,
		  void *ctx)
{
	while (n > 0) {
		const uint8_t *z = memchr(p, 0, n);
		size_t take = z ? (size_t)(z - p) : n;
		if (!d->overflow) {
			if (d->len + take > sizeof d->buf) {
				d->overflow = 1;
				d->len = 0;
			} else {
				memcpy(d->buf + d->len, p, take);
				d->len += take;
			}
		}
		p += take;
		n -= take;
		if (!z) break;
		p++; /* the delimiter */
		n--;
		if (d->overflow) {
			d->overflow = 0;
			d->bad_frames++;
			on_bad(ctx, WIRE_OVERSIZE);
		} else if (d->len > 0) { /* empty blocks (repeated delimiters) are padding */
			struct frame f;
			enum wire_err e = parse_block(d->buf, d->len, &f);
			d->len = 0;
			if (e == WIRE_OK) {
				on_frame(ctx, &f);
			} else {
				d->bad_frames++;
				on_bad(ctx, e);
			}
		}
	}
}
