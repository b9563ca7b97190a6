/* The agent's output queue: encoded frames waiting for the port to take them. Bounded by the
 * callers (main.c stops producing past OUTQ_HIGH / OUTQ_STOP_PORT). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

struct obuf {
	struct obuf *next;
	size_t len, off;
	uint8_t data[];
};

static void enqueue(struct obuf *b)
{
	b->next = NULL;
	if (A.tail) A.tail->next = b;
	else A.head = b;
	A.tail = b;
	A.queued += b->len;
}

void send_frame(uint8_t type, uint8_t flags, uint32_t session, const void *payload, uint32_t len)
{
	static uint8_t wire[MAX_ENCODED + 1];
	if (len > MAX_PAYLOAD) {
		log_msg(LOG_ERR, "internal: frame of %u bytes dropped", len);
		return;
	}
	size_t n = frame_encode(type, flags, session, payload, len, A.scratch, wire);
	struct obuf *b = malloc(sizeof *b + n);
	if (!b) {
		/* Out of memory in the guest: losing a frame breaks that session, not the agent. */
		log_msg(LOG_ERR, "out of memory: frame type 0x%02x for session %u dropped", type, session);
		return;
	}
	memcpy(b->data, wire, n);
	b->len = n;
	b->off = 0;
	enqueue(b);
}

void send_delimiter(void)
{
	struct obuf *b = malloc(sizeof *b + 1);
	if (!b) return;
	b->data[0] = 0;
	b->len = 1;
	b->off = 0;
	enqueue(b);
}

void send_error(uint32_t session, int err, const char *fmt, ...)
{
	uint8_t p[4 + 4 + 512];
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf((char *)p + 8, 512, fmt, ap);
	va_end(ap);
	if (m < 0) m = 0;
	if (m > 511) m = 511;
	put_u32(p, (uint32_t)err);
	put_u32(p + 4, (uint32_t)m);
	send_frame(T_ERROR, 0, session, p, 8u + (uint32_t)m);
}

void send_credit(uint32_t session, uint8_t stream, uint32_t n)
{
	uint8_t p[8] = { stream, 0, 0, 0 };
	put_u32(p + 4, n);
	send_frame(T_CREDIT, 0, session, p, sizeof p);
}

int outq_flush(void)
{
	while (A.head) {
		struct obuf *b = A.head;
		ssize_t w = write(A.port, b->data + b->off, b->len - b->off);
		if (w < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) return 0;
			/* ENODEV / EPIPE: nobody on the host side right now */
			return -1;
		}
		b->off += (size_t)w;
		A.queued -= (size_t)w;
		if (b->off < b->len) continue;
		A.head = b->next;
		if (!A.head) A.tail = NULL;
		free(b);
	}
	return 0;
}

void outq_reset(void)
{
	struct obuf *keep = A.head && A.head->off > 0 ? A.head : NULL;
	struct obuf *b = keep ? keep->next : A.head;
	while (b) {
		struct obuf *next = b->next;
		free(b);
		b = next;
	}
	A.head = A.tail = keep;
	A.queued = keep ? keep->len - keep->off : 0;
	if (keep) keep->next = NULL;
}
