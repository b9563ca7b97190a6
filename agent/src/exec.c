/* Exec sessions: spawn argv with env and cwd (no shell), stream stdin in and stdout/stderr out
 * within the credit each side grants, report the exit code or the terminating signal
 * (PROTOCOL.md, "Exec"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
/* CREDIT frames for stdin are batched: one per this many bytes drained (or when the buffer empties). */
#define CREDIT_BATCH (32u * 1024u)

static void free_strv(char **v, size_t n)
{
	if (!v) return;
	for (size_t i = 0; i < n; i++) free(v[i]);
	free(v);
}

/* Reads a list of byte strings (u32 count, then u32 length + bytes each). what names it in errors. */
static char **read_list(struct rd *r, size_t *count, uint32_t id, const char *what)
{
	uint32_t n = rd_u32(r);
	if (r->bad || n > MAX_LIST) {
		send_error(id, EINVAL, "malformed %s list", what);
		return NULL;
	}
	char **v = calloc((size_t)n + 1, sizeof *v);
	if (!v) {
		send_error(id, ENOMEM, "out of memory reading the %s", what);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		int nul = 0;
		v[i] = rd_str(r, &nul);
		if (!v[i] || r->bad) {
			send_error(id, r->bad ? EINVAL : ENOMEM, "malformed %s entry %u", what, i);
			free_strv(v, i + 1);
			return NULL;
		}
		if (nul) {
			send_error(id, EINVAL, "%s entry %u contains a NUL byte", what, i);
			free_strv(v, i + 1);
			return NULL;
		}
	}
	*count = n;
	return v;
}

/* environ (unless clear), then each KEY=VALUE of env replacing an entry with the same KEY. */
static char **build_env(char **env, size_t envc, int clear)
{
	size_t base = 0;
	if (!clear)
		while (environ[base]) base++;
	char **out = calloc(base + envc + 1, sizeof *out);
	if (!out) return NULL;
	size_t n = 0;
	for (size_t i = 0; i < base; i++) out[n++] = environ[i];
	for (size_t i = 0; i < envc; i++) {
		size_t klen = (size_t)(strchr(env[i], '=') - env[i]) + 1;
		size_t j = 0;
		while (j < n && strncmp(out[j], env[i], klen) != 0) j++;
		out[j] = env[i];
		if (j == n) n++;
	}
	out[n] = NULL;
	return out;
}

/* execvp's search, but in the child's PATH. Returns 0 with the path in out, or an errno. */
static int resolve(const char *cmd, char **envp, char *out, size_t outsz)
{
	if (!*cmd) return ENOENT;
	if (strchr(cmd, '/')) {
		if (strlen(cmd) >= outsz) return ENAMETOOLONG;
		strcpy(out, cmd);
		return 0;
	}
	const char *path = DEFAULT_PATH;
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
	int denied = 0;
	for (;;) {
		const char *end = strchr(path, ':');
		size_t dlen = end ? (size_t)(end - path) : strlen(path);
		int m = dlen ? snprintf(out, outsz, "%.*s/%s", (int)dlen, path, cmd)
			     : snprintf(out, outsz, "%s", cmd);
		struct stat st;
		if (m > 0 && (size_t)m < outsz && stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0) return 0;
			denied = 1;
		}
		if (!end) break;
		path = end + 1;
	}
	return denied ? EACCES : ENOENT;
}

static void send_exit(uint32_t id, int kind, int value)
{
	uint8_t p[8] = { (uint8_t)kind, 0, 0, 0 };
	if (kind == EXIT_SIGNAL && WCOREDUMP(value)) p[1] = 1;
	put_u32(p + 4, kind == EXIT_SIGNAL ? (uint32_t)WTERMSIG(value) : (uint32_t)value);
	send_frame(T_EXIT, 0, id, p, sizeof p);
}

/* A command that could not start ends like it does in a shell: a message on stderr, 127 when it
 * was not found, 126 when it could not be executed. */
static void not_started(uint32_t id, uint32_t window, const char *cmd, int err)
{
	uint8_t pid[4] = { 0 };
	send_frame(T_EXEC_STARTED, 0, id, pid, sizeof pid);
	char msg[600];
	int m = snprintf(msg, sizeof msg, "vm-agent: cannot run '%.400s': %s\n", cmd, strerror(err));
	if (m < 0) m = 0;
	if ((uint32_t)m > window) m = (int)window;
	if ((size_t)m >= sizeof msg) m = sizeof msg - 1;
	if (m > 0) send_frame(T_STDERR, 0, id, msg, (uint32_t)m);
	send_frame(T_STDOUT, FLAG_EOF, id, NULL, 0);
	send_frame(T_STDERR, FLAG_EOF, id, NULL, 0);
	uint8_t p[8] = { EXIT_CODE, 0, 0, 0 };
	put_u32(p + 4, err == ENOENT ? 127u : 126u);
	send_frame(T_EXIT, 0, id, p, sizeof p);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void exec_start(uint32_t id, const uint8_t *payload, uint32_t n)
{
	struct rd r = { payload, n, 0 };
	uint32_t flags = rd_u32(&r);
	uint32_t window = rd_u32(&r);
	size_t argc = 0, envc = 0;
	char **argv = NULL, **env = NULL, **envp = NULL, *cwd = NULL;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	if (r.bad) {
		send_error(id, EINVAL, "malformed exec request");
		return;
	}
	if (!(argv = read_list(&r, &argc, id, "argv"))) goto out;
	if (!(env = read_list(&r, &envc, id, "env"))) goto out;
	int nul = 0;
	cwd = rd_str(&r, &nul);
	if (!cwd || r.bad || r.n != 0) {
		send_error(id, EINVAL, "malformed exec request (cwd)");
		goto out;
	}
	if (nul) {
		send_error(id, EINVAL, "the working directory contains a NUL byte");
		goto out;
	}
	if (argc == 0) {
		send_error(id, EINVAL, "exec needs at least one argument");
		goto out;
	}
	for (size_t i = 0; i < envc; i++) {
		char *eq = strchr(env[i], '=');
		if (!eq || eq == env[i]) {
			send_error(id, EINVAL, "environment entry %zu is not KEY=VALUE", i);
			goto out;
		}
	}
	if (window > MAX_GRANT) window = MAX_GRANT;
	if (*cwd) {
		struct stat st;
		if (stat(cwd, &st) != 0) {
			send_error(id, errno, "working directory %.400s: %s", cwd, strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			send_error(id, ENOTDIR, "working directory %.400s: %s", cwd, strerror(ENOTDIR));
			goto out;
		}
	}
	if (!(envp = build_env(env, envc, (flags & EXEC_CLEAR_ENV) != 0))) {
		send_error(id, ENOMEM, "out of memory building the environment");
		goto out;
	}
	char path[4096];
	int err = resolve(argv[0], envp, path, sizeof path);
	if (err) {
		not_started(id, window, argv[0], err);
		goto out;
	}
	struct session *s = session_new(id, S_EXEC);
	if (!s) goto out;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		send_error(id, errno, "pipe: %s", strerror(errno));
		session_free(s);
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	if (*cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
	/* Its own session and process group (SIGNAL reaches the whole group), default signal
	 * dispositions (the agent ignores SIGPIPE) and an empty signal mask. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	err = posix_spawn(&pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (err) {
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		session_free(s);
		not_started(id, window, argv[0], err);
		goto out;
	}
	set_nonblock(pin[1]);
	set_nonblock(pout[0]);
	set_nonblock(perr[0]);
	s->pid = pid;
	s->in_fd = pin[1];
	s->out_fd[0] = pout[0];
	s->out_fd[1] = perr[0];
	s->out_credit[0] = s->out_credit[1] = window;
	uint8_t p[4];
	put_u32(p, (uint32_t)pid);
	send_frame(T_EXEC_STARTED, 0, id, p, sizeof p);
out:
	free_strv(argv, argc);
	free_strv(env, envc);
	free(envp); /* its strings belong to environ or env */
	free(cwd);
}

static void close_stdin(struct session *s)
{
	if (s->in_fd >= 0) close(s->in_fd);
	s->in_fd = -1;
	free(s->in_buf);
	s->in_buf = NULL;
	s->in_len = 0;
}

/* Credit for stdin goes back once bytes left our buffer (into the pipe, or discarded). */
static void stdin_drained(struct session *s, size_t n, int force)
{
	s->in_drained += n;
	if (s->in_drained && (force || s->in_drained >= CREDIT_BATCH || s->in_len == 0)) {
		send_credit(s->id, STREAM_STDIN, (uint32_t)s->in_drained);
		s->in_drained = 0;
	}
}

void exec_write_stdin(struct session *s)
{
	while (s->in_fd >= 0 && s->in_len > 0) {
		ssize_t w = write(s->in_fd, s->in_buf, s->in_len);
		if (w < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) return;
			/* EPIPE: the command closed its stdin. What the host still sends is dropped. */
			size_t dropped = s->in_len;
			close_stdin(s);
			stdin_drained(s, dropped, 1);
			return;
		}
		memmove(s->in_buf, s->in_buf + w, s->in_len - (size_t)w);
		s->in_len -= (size_t)w;
		stdin_drained(s, (size_t)w, 0);
	}
	if (s->in_fd >= 0 && s->in_len == 0 && s->in_eof) close_stdin(s);
}

void exec_stdin(struct session *s, const uint8_t *p, uint32_t n, int eof)
{
	if (s->in_fd < 0) {
		if (n) send_credit(s->id, STREAM_STDIN, n);
		return;
	}
	if (n) {
		if (s->in_len + n > STDIN_WINDOW) {
			/* the host overran the window it was given: keep the agent bounded */
			log_msg(LOG_WARN, "session %u: stdin beyond the window, %u bytes dropped", s->id, n);
			n = 0;
		}
		if (!s->in_buf) s->in_buf = malloc(STDIN_WINDOW);
		if (!s->in_buf) {
			log_msg(LOG_ERR, "session %u: out of memory for stdin", s->id);
			close_stdin(s);
			return;
		}
		memcpy(s->in_buf + s->in_len, p, n);
		s->in_len += n;
	}
	if (eof) s->in_eof = 1;
	exec_write_stdin(s);
}

void exec_window(struct session *s, uint8_t stream, uint32_t n)
{
	if (stream != STREAM_STDOUT && stream != STREAM_STDERR) return;
	uint64_t *c = &s->out_credit[stream - STREAM_STDOUT];
	*c = *c + n > MAX_GRANT ? MAX_GRANT : *c + n;
}

void exec_signal(struct session *s, int sig)
{
	if (s->reaped || s->pid <= 0) return;
	if (kill(-s->pid, sig) != 0) kill(s->pid, sig);
}

void exec_kill(struct session *s)
{
	if (!s->reaped) {
		exec_signal(s, SIGKILL);
		return;
	}
	/* Exited, but something it left behind still feeds its pipes: stop draining them. */
	for (int w = 0; w < 2; w++) {
		if (s->out_fd[w] < 0) continue;
		close(s->out_fd[w]);
		s->out_fd[w] = -1;
		send_frame(w ? T_STDERR : T_STDOUT, FLAG_EOF, s->id, NULL, 0);
	}
	exec_maybe_finish(s);
}

void exec_read(struct session *s, int which)
{
	int fd = s->out_fd[which];
	uint64_t credit = s->out_credit[which];
	if (fd < 0 || credit == 0) return;
	size_t want = credit < MAX_PAYLOAD ? (size_t)credit : MAX_PAYLOAD;
	uint8_t type = which ? T_STDERR : T_STDOUT;
	ssize_t r;
	do r = read(fd, A.payload, want);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		s->out_credit[which] -= (uint64_t)r;
		send_frame(type, 0, s->id, A.payload, (uint32_t)r);
		return;
	}
	/* After the command exited, an empty pipe is its end: a background process that kept the
	 * pipe open must not hold the session forever. */
	if (r < 0 && errno == EAGAIN && !s->reaped) return;
	close(fd);
	s->out_fd[which] = -1;
	send_frame(type, FLAG_EOF, s->id, NULL, 0);
	exec_maybe_finish(s);
}

void exec_maybe_finish(struct session *s)
{
	if (!s->reaped || s->out_fd[0] >= 0 || s->out_fd[1] >= 0) return;
	close_stdin(s);
	if (s->in_drained) stdin_drained(s, 0, 1);
	if (WIFSIGNALED(s->status)) send_exit(s->id, EXIT_SIGNAL, s->status);
	else send_exit(s->id, EXIT_CODE, WEXITSTATUS(s->status));
	session_free(s);
}

void exec_reaped(pid_t pid, int status)
{
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &A.sessions[i];
		if (s->kind == S_EXEC && !s->reaped && s->pid == pid) {
			s->reaped = 1;
			s->status = status;
			exec_maybe_finish(s);
			return;
		}
	}
}
