/* Shared state of the vm guest agent: the output queue, the sessions and the helpers the session
 * files use. One process, one thread, one poll() loop (main.c). */
#ifndef VM_AGENT_AGENT_H
#define VM_AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "wire.h"

#ifndef AGENT_VERSION
#define AGENT_VERSION "0.0.0-dev"
#endif

/* Past this many queued output bytes the agent stops reading children and files; past
 * OUTQ_STOP_PORT it also stops reading the host (a host that never reads must not grow us). */
#define OUTQ_HIGH (512u * 1024u)
#define OUTQ_STOP_PORT (1024u * 1024u)

enum kind { S_FREE = 0, S_EXEC, S_FWRITE, S_FREAD };

struct session {
	enum kind kind;
	uint32_t id;
	/* exec */
	pid_t pid;      /* > 0 while the child is not reaped */
	int status;     /* wait status once reaped */
	int reaped;
	int in_fd;      /* child's stdin (write end), -1 once closed */
	int out_fd[2];  /* child's stdout, stderr (read ends), -1 once at EOF */
	uint64_t out_credit[2];
	uint8_t *in_buf; /* stdin bytes the pipe did not take yet (at most STDIN_WINDOW) */
	size_t in_len;
	int in_eof;     /* the host finished stdin: close once in_buf drains */
	size_t in_drained; /* bytes written to the pipe since the last CREDIT frame */
	/* files */
	int fd;
	char *path;     /* final path (write) */
	char *tmp;      /* temp file to rename onto path (write) */
	uint64_t bytes;
	uint64_t credit; /* read: bytes the host let us send */
	size_t unacked;  /* write: bytes written since the last CREDIT frame */
};

struct agent {
	int port;          /* the vm.agent port (or --fd) */
	int fd_mode;       /* testing on a socket: EOF ends the agent, power actions are refused */
	int host_away;     /* the port reported HUP: no host connected */
	int sigpipe[2];
	char boot_id[40];
	struct decoder dec;
	struct session sessions[MAX_SESSIONS];
	/* output queue */
	struct obuf *head, *tail;
	size_t queued;
	uint8_t scratch[MAX_FRAME];
	uint8_t payload[MAX_PAYLOAD];
};

extern struct agent A;

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOG_ERR 3
#define LOG_WARN 4
#define LOG_INFO 6

/* outq.c */
void send_frame(uint8_t type, uint8_t flags, uint32_t session, const void *payload, uint32_t len);
void send_error(uint32_t session, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void send_credit(uint32_t session, uint8_t stream, uint32_t n);
void send_delimiter(void);
/* Writes what the port takes now; returns -1 when the host is away. */
int outq_flush(void);
/* Drops queued frames, except the rest of a frame already partly written. */
void outq_reset(void);

/* exec.c */
void exec_start(uint32_t id, const uint8_t *p, uint32_t n);
void exec_stdin(struct session *s, const uint8_t *p, uint32_t n, int eof);
void exec_signal(struct session *s, int sig);
void exec_window(struct session *s, uint8_t stream, uint32_t n);
void exec_reaped(pid_t pid, int status);
/* Reads child output within credit; sends EXIT when done. */
void exec_read(struct session *s, int which);
void exec_write_stdin(struct session *s);
void exec_maybe_finish(struct session *s);
void exec_kill(struct session *s);

/* files.c */
void file_write_open(uint32_t id, const uint8_t *p, uint32_t n);
void file_write_data(struct session *s, const uint8_t *p, uint32_t n, int eof);
void file_read_open(uint32_t id, const uint8_t *p, uint32_t n);
void file_read_pump(struct session *s);
void file_cancel(struct session *s);

/* main.c */
struct session *session_new(uint32_t id, enum kind kind);
struct session *session_find(uint32_t id);
void session_free(struct session *s);

/* Bounded reader over a payload: every get checks the remaining length. */
struct rd {
	const uint8_t *p;
	uint32_t n;
	int bad;
};
uint32_t rd_u32(struct rd *r);
/* Returns a malloc'd NUL-terminated copy; *has_nul tells if the bytes held a NUL. */
char *rd_str(struct rd *r, int *has_nul);

#endif
