/* vm-agent: the guest side of vm's agent channel. Finds the virtio-console port named vm.agent,
 * then serves exec, file and power requests from the host in one single-threaded poll() loop.
 * The protocol is in ../PROTOCOL.md. Usage: vm-agent [--port DEV] | --fd N (tests, on a socket). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define PORT_NAME "vm.agent"
#define PORTS_DIR "/sys/class/virtio-ports"
/* While no host is connected the port cannot wake poll() (it reports HUP at once); SIGIO does,
 * and this re-check catches devices that send no port-open notice. */
#define AWAY_RECHECK_MS 1000
/* Frames handled per wakeup before the loop looks at the other fds again. */
#define READS_PER_TURN 16

struct agent A;
static volatile sig_atomic_t stop_requested;
static int kmsg = -1;

void log_msg(int level, const char *fmt, ...)
{
	char line[512];
	int head = A.fd_mode || kmsg < 0 ? snprintf(line, sizeof line, "vm-agent: ")
					 : snprintf(line, sizeof line, "<%d>vm-agent[%d]: ", level, (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + head, sizeof line - (size_t)head - 1, fmt, ap);
	va_end(ap);
	size_t n = (size_t)head + (m < 0 ? 0 : (size_t)m);
	if (n > sizeof line - 2) n = sizeof line - 2;
	line[n++] = '\n';
	ssize_t ignored = write(A.fd_mode || kmsg < 0 ? 2 : kmsg, line, n);
	(void)ignored;
}

uint32_t rd_u32(struct rd *r)
{
	if (r->bad || r->n < 4) {
		r->bad = 1;
		return 0;
	}
	uint32_t v = get_u32(r->p);
	r->p += 4;
	r->n -= 4;
	return v;
}

char *rd_str(struct rd *r, int *has_nul)
{
	uint32_t len = rd_u32(r);
	if (r->bad || len > r->n) {
		r->bad = 1;
		return NULL;
	}
	char *s = malloc((size_t)len + 1);
	if (!s) return NULL;
	memcpy(s, r->p, len);
	s[len] = 0;
	*has_nul = memchr(r->p, 0, len) != NULL;
	r->p += len;
	r->n -= len;
	return s;
}

/* ------------------------------------------------------------------------------------------ */
/* sessions */

struct session *session_find(uint32_t id)
{
	for (unsigned i = 0; i < MAX_SESSIONS; i++)
		if (A.sessions[i].kind != S_FREE && A.sessions[i].id == id) return &A.sessions[i];
	return NULL;
}

struct session *session_new(uint32_t id, enum kind kind)
{
	if (session_find(id)) {
		send_error(id, EBUSY, "session %u is already in use", id);
		return NULL;
	}
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &A.sessions[i];
		if (s->kind != S_FREE) continue;
		memset(s, 0, sizeof *s);
		s->kind = kind;
		s->id = id;
		s->fd = s->in_fd = s->out_fd[0] = s->out_fd[1] = -1;
		return s;
	}
	send_error(id, EAGAIN, "too many sessions (at most %u at once)", MAX_SESSIONS);
	return NULL;
}

void session_free(struct session *s)
{
	if (s->kind == S_EXEC && !s->reaped && s->pid > 0) kill(-s->pid, SIGKILL);
	if (s->in_fd >= 0) close(s->in_fd);
	for (int i = 0; i < 2; i++)
		if (s->out_fd[i] >= 0) close(s->out_fd[i]);
	if (s->fd >= 0) close(s->fd);
	if (s->tmp) unlink(s->tmp);
	free(s->in_buf);
	free(s->tmp);
	free(s->path);
	memset(s, 0, sizeof *s);
	s->kind = S_FREE;
}

static void reset_all(void)
{
	for (unsigned i = 0; i < MAX_SESSIONS; i++)
		if (A.sessions[i].kind != S_FREE) session_free(&A.sessions[i]);
	outq_reset();
}

/* ------------------------------------------------------------------------------------------ */
/* connection-level requests */

static size_t put_kv(uint8_t *p, size_t at, size_t cap, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v);
	if (at + 4 + kl + 1 + vl > cap) return at;
	put_u32(p + at, (uint32_t)(kl + 1 + vl));
	memcpy(p + at + 4, k, kl);
	p[at + 4 + kl] = '=';
	memcpy(p + at + 5 + kl, v, vl);
	return at + 4 + kl + 1 + vl;
}

/* The key=value facts about this agent, as a list (u32 count first). */
static size_t put_facts(uint8_t *p, size_t at, size_t cap)
{
	struct utsname u;
	char pid[16];
	if (uname(&u) != 0) memset(&u, 0, sizeof u);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	size_t count_at = at;
	at += 4;
	at = put_kv(p, at, cap, "version", AGENT_VERSION);
	at = put_kv(p, at, cap, "boot_id", A.boot_id);
	at = put_kv(p, at, cap, "arch", u.machine);
	at = put_kv(p, at, cap, "kernel", u.release);
	at = put_kv(p, at, cap, "pid", pid);
	at = put_kv(p, at, cap, "caps", A.fd_mode ? "exec,signal,file-write,file-read"
						  : "exec,signal,file-write,file-read,power");
	put_u32(p + count_at, 6);
	return at;
}

static void on_hello(const struct frame *f)
{
	if (f->len < 4 + NONCE_SIZE) {
		send_error(0, EINVAL, "malformed hello");
		return;
	}
	/* A new host owns the channel: whatever the previous one started is dropped. */
	reset_all();
	uint8_t *p = A.payload;
	memcpy(p, f->payload + 4, NONCE_SIZE);
	put_u32(p + 16, PROTO_VERSION);
	put_u32(p + 20, MAX_PAYLOAD);
	put_u32(p + 24, MAX_SESSIONS);
	put_u32(p + 28, STDIN_WINDOW);
	put_u32(p + 32, FILE_WINDOW);
	size_t n = put_facts(p, 36, MAX_PAYLOAD);
	send_delimiter();
	send_frame(T_HELLO_ACK, 0, 0, p, (uint32_t)n);
}

static void announce_start(void)
{
	size_t n = put_facts(A.payload, 0, MAX_PAYLOAD);
	send_delimiter();
	send_frame(T_AGENT_RESET, 0, 0, A.payload, (uint32_t)n);
}

/* Acknowledges, gives the acknowledgement up to 2 s to reach the host, syncs, then reboot(2). */
static void on_power(const struct frame *f)
{
	uint32_t action = f->len == 4 ? get_u32(f->payload) : 99;
	if (action != POWER_OFF && action != POWER_REBOOT) {
		send_error(f->session, EINVAL, "unknown power action %u", action);
		return;
	}
	if (A.fd_mode) {
		send_error(f->session, ENOTSUP, "power actions are disabled in --fd mode");
		return;
	}
	send_frame(T_POWER_ACK, 0, f->session, NULL, 0);
	log_msg(LOG_INFO, "%s requested by the host", action == POWER_OFF ? "poweroff" : "reboot");
	for (int i = 0; i < 200 && A.head; i++) {
		if (outq_flush() < 0) break;
		if (A.head) {
			struct pollfd pfd = { A.port, POLLOUT, 0 };
			poll(&pfd, 1, 10);
		}
	}
	sync();
	reboot(action == POWER_OFF ? RB_POWER_OFF : RB_AUTOBOOT);
	send_error(f->session, errno, "reboot(2): %s", strerror(errno));
}

/* ------------------------------------------------------------------------------------------ */
/* dispatch */

static void on_frame(void *ctx, const struct frame *f)
{
	(void)ctx;
	int eof = (f->flags & FLAG_EOF) != 0;
	struct session *s;
	switch (f->type) {
	case T_HELLO:
		on_hello(f);
		return;
	case T_PING:
		send_frame(T_PONG, 0, f->session, f->payload, f->len > MAX_PING ? MAX_PING : f->len);
		return;
	case T_POWER:
		on_power(f);
		return;
	case T_EXEC:
	case T_FILE_WRITE:
	case T_FILE_READ:
		if (f->session == 0) {
			send_error(0, EINVAL, "session 0 cannot run operations");
			return;
		}
		if (f->type == T_EXEC) exec_start(f->session, f->payload, f->len);
		else if (f->type == T_FILE_WRITE) file_write_open(f->session, f->payload, f->len);
		else file_read_open(f->session, f->payload, f->len);
		return;
	}
	/* The rest act on a session. One that just ended is normal (a race), not an error. */
	s = session_find(f->session);
	if (!s) return;
	switch (f->type) {
	case T_STDIN:
		if (s->kind == S_EXEC) exec_stdin(s, f->payload, f->len, eof);
		return;
	case T_FILE_DATA:
		if (s->kind == S_FWRITE) file_write_data(s, f->payload, f->len, eof);
		return;
	case T_SIGNAL:
		if (s->kind == S_EXEC && f->len == 4) {
			uint32_t sig = get_u32(f->payload);
			if (sig >= 1 && sig <= 64) exec_signal(s, (int)sig);
		}
		return;
	case T_WINDOW:
		if (f->len == 8) {
			uint8_t stream = f->payload[0];
			uint32_t n = get_u32(f->payload + 4);
			if (s->kind == S_EXEC) exec_window(s, stream, n);
			else if (s->kind == S_FREAD && stream == STREAM_FILE)
				s->credit = s->credit + n > MAX_GRANT ? MAX_GRANT : s->credit + n;
		}
		return;
	case T_CANCEL:
		if (s->kind == S_EXEC) exec_kill(s);
		else file_cancel(s);
		return;
	default:
		log_msg(LOG_WARN, "unknown frame type 0x%02x ignored", f->type);
	}
}

static void on_bad(void *ctx, enum wire_err why)
{
	(void)ctx;
	/* Expected once after a host reconnects mid-frame; worth a line when it keeps happening. */
	if (A.dec.bad_frames <= 3 || A.dec.bad_frames % 1000 == 0)
		log_msg(LOG_WARN, "dropped a bad frame (reason %d, %llu so far)", (int)why,
			(unsigned long long)A.dec.bad_frames);
}

/* ------------------------------------------------------------------------------------------ */
/* the port */

static int find_port(char *dev, size_t n)
{
	DIR *d = opendir(PORTS_DIR);
	if (!d) return -1;
	struct dirent *e;
	int found = -1;
	while (found < 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		char path[512], name[64] = { 0 };
		snprintf(path, sizeof path, PORTS_DIR "/%s/name", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) continue;
		ssize_t r = read(fd, name, sizeof name - 1);
		close(fd);
		if (r <= 0) continue;
		name[strcspn(name, "\n")] = 0;
		if (strcmp(name, PORT_NAME) == 0 && (size_t)snprintf(dev, n, "/dev/%s", e->d_name) < n) found = 0;
	}
	closedir(d);
	return found;
}

static int open_port(const char *given)
{
	char dev[300];
	int waited = 0;
	if (given) {
		snprintf(dev, sizeof dev, "%s", given);
	} else {
		/* Ports are announced by the device shortly after the driver loads; keep looking. */
		while (find_port(dev, sizeof dev) != 0) {
			if (stop_requested) return -1;
			if (waited == 0) log_msg(LOG_INFO, "waiting for the virtio port named " PORT_NAME);
			sleep(waited < 30 ? 1 : 10);
			waited++;
		}
	}
	int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_msg(LOG_ERR, "cannot open %s: %s", dev, strerror(errno));
		return -1;
	}
	/* Whoever can open the port owns the guest as root: keep the node root-only. */
	if (fchown(fd, 0, 0) != 0 || fchmod(fd, 0600) != 0)
		log_msg(LOG_WARN, "cannot make %s root-only: %s", dev, strerror(errno));
	log_msg(LOG_INFO, "version " AGENT_VERSION " serving on %s", dev);
	return fd;
}

static void set_async(int on)
{
	int fl = fcntl(A.port, F_GETFL);
	if (fl < 0) return;
	if (on) {
		fcntl(A.port, F_SETOWN, getpid());
		fcntl(A.port, F_SETFL, fl | O_ASYNC);
	} else {
		fcntl(A.port, F_SETFL, fl & ~O_ASYNC);
	}
}

static void host_gone(void)
{
	if (A.fd_mode) {
		log_msg(LOG_INFO, "the host closed the channel");
		stop_requested = 1;
		return;
	}
	if (!A.host_away) set_async(1);
	A.host_away = 1;
}

static void read_port(void)
{
	static uint8_t buf[16384];
	for (int i = 0; i < READS_PER_TURN && A.queued < OUTQ_STOP_PORT; i++) {
		ssize_t r = read(A.port, buf, sizeof buf);
		if (r > 0) {
			decoder_feed(&A.dec, buf, (size_t)r, on_frame, on_bad, NULL);
			continue;
		}
		if (r < 0 && errno == EINTR) continue;
		if (r < 0 && errno == EAGAIN) return;
		host_gone(); /* 0: no host on the other side; an error: same treatment */
		return;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* signals and the loop */

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGTERM || sig == SIGINT) stop_requested = 1;
	char c = (char)sig;
	ssize_t ignored = write(A.sigpipe[1], &c, 1);
	(void)ignored;
	errno = saved;
}

static void setup_signals(void)
{
	if (pipe2(A.sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_msg(LOG_ERR, "pipe: %s", strerror(errno));
		exit(1);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void reap_children(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) exec_reaped(pid, status);
}

/* Work that needs no fd to become ready: reads of regular files, draining pipes of a command
 * that has exited. Returns whether some is left. */
static int run_ready_work(void)
{
	int left = 0;
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &A.sessions[i];
		/* a full queue waits for the port to drain it (POLLOUT), not for a spin */
		if (A.queued >= OUTQ_HIGH) return 0;
		if (s->kind == S_FREAD && s->credit > 0) {
			file_read_pump(s);
			left |= s->kind == S_FREAD && s->credit > 0;
		} else if (s->kind == S_EXEC && s->reaped) {
			for (int w = 0; w < 2 && s->kind == S_EXEC; w++)
				if (s->out_fd[w] >= 0 && s->out_credit[w] > 0) exec_read(s, w);
			left |= s->kind == S_EXEC && ((s->out_fd[0] >= 0 && s->out_credit[0] > 0) ||
						      (s->out_fd[1] >= 0 && s->out_credit[1] > 0));
		}
	}
	return left;
}

enum role { R_SIG, R_PORT, R_STDIN, R_OUT, R_ERR };

static void loop(void)
{
	struct pollfd fds[2 + 3 * MAX_SESSIONS];
	struct { enum role role; struct session *s; } who[2 + 3 * MAX_SESSIONS];
	int away_wait = 0;
	while (!stop_requested) {
		int ready_work = run_ready_work();
		if (!A.host_away && outq_flush() < 0) host_gone();
		int n = 0;
		fds[n] = (struct pollfd){ A.sigpipe[0], POLLIN, 0 };
		who[n++].role = R_SIG;
		if (!A.host_away) {
			short ev = (A.queued < OUTQ_STOP_PORT ? POLLIN : 0) | (A.head ? POLLOUT : 0);
			fds[n] = (struct pollfd){ A.port, ev, 0 };
			who[n++].role = R_PORT;
		}
		for (unsigned i = 0; i < MAX_SESSIONS; i++) {
			struct session *s = &A.sessions[i];
			if (s->kind != S_EXEC) continue;
			if (s->in_fd >= 0 && s->in_len > 0) {
				fds[n] = (struct pollfd){ s->in_fd, POLLOUT, 0 };
				who[n].role = R_STDIN;
				who[n++].s = s;
			}
			for (int w = 0; w < 2; w++) {
				if (s->out_fd[w] < 0 || s->out_credit[w] == 0 || A.queued >= OUTQ_HIGH) continue;
				fds[n] = (struct pollfd){ s->out_fd[w], POLLIN, 0 };
				who[n].role = w ? R_ERR : R_OUT;
				who[n++].s = s;
			}
		}
		int timeout = ready_work ? 0 : A.host_away ? AWAY_RECHECK_MS : -1;
		int r = poll(fds, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			sleep(1);
			continue;
		}
		if (A.host_away && (r == 0 || away_wait)) {
			/* A SIGIO or the periodic re-check: is a host back? */
			struct pollfd p = { A.port, POLLIN, 0 };
			if (poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP)) {
				A.host_away = 0;
				set_async(0);
			}
		}
		away_wait = 0;
		if (r <= 0) continue;
		for (int i = 0; i < n; i++) {
			short re = fds[i].revents;
			if (!re) continue;
			struct session *s = who[i].s;
			switch (who[i].role) {
			case R_SIG: {
				char drain[64];
				while (read(A.sigpipe[0], drain, sizeof drain) > 0) {}
				reap_children();
				away_wait = A.host_away;
				break;
			}
			case R_PORT:
				if (re & POLLIN) read_port();
				if ((re & POLLHUP) && !(re & POLLIN)) host_gone();
				else if (re & (POLLERR | POLLNVAL)) host_gone();
				break;
			case R_STDIN:
				/* the loop may have freed or reused the slot since the poll set was built */
				if (s->kind == S_EXEC && s->in_fd == fds[i].fd) exec_write_stdin(s);
				break;
			case R_OUT:
			case R_ERR: {
				int w = who[i].role == R_ERR;
				if (s->kind == S_EXEC && s->out_fd[w] == fds[i].fd) exec_read(s, w);
				break;
			}
			}
		}
	}
}

static void read_boot_id(void)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, A.boot_id, sizeof A.boot_id - 1) : -1;
	if (fd >= 0) close(fd);
	A.boot_id[r > 0 ? r : 0] = 0;
	A.boot_id[strcspn(A.boot_id, "\n")] = 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vm-agent [--port DEVICE] | --fd N\n"
			"Serves vm's guest agent protocol on the virtio-console port named " PORT_NAME
			" (or on DEVICE, or on an inherited socket N for tests).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *port = NULL;
	int fd = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = argv[++i];
		else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) fd = atoi(argv[++i]);
		else if (strcmp(argv[i], "--version") == 0) {
			puts(AGENT_VERSION);
			return 0;
		} else usage();
	}
	/* fds 0-2 must exist, or a pipe could land on them and be clobbered by a child's dup2 */
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0 && open("/dev/null", O_RDWR) != i) return 1;
	if (chdir("/") != 0) return 1;
	A.fd_mode = fd >= 0;
	if (!A.fd_mode) kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	setup_signals();
	read_boot_id();
	if (A.fd_mode) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			log_msg(LOG_ERR, "--fd %d: %s", fd, strerror(errno));
			return 1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		A.port = fd;
	} else if ((A.port = open_port(port)) < 0) {
		return 1;
	}
	/* Tells a host that is already connected that whatever it ran before is gone. */
	announce_start();
	loop();
	reset_all();
	reap_children();
	return 0;
}
