/* File sessions: write a file atomically (temp file in the same directory, fsync, rename) and
 * read a regular file in chunks within the host's credit (PROTOCOL.md, "Files"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

/* File-write credit goes back in batches of this many bytes written. */
#define CREDIT_BATCH (64u * 1024u)

static char *dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy) return NULL;
	char *d = strdup(dirname(copy));
	free(copy);
	return d;
}

/* mkdir -p for the parents of a file, 0755 like install -D. */
static int make_parents(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n >= sizeof buf) return ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0) continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0755) != 0 && errno != EEXIST) return errno;
		buf[i] = c;
	}
	return 0;
}

static char *read_path(struct rd *r, uint32_t id)
{
	int nul = 0;
	char *path = rd_str(r, &nul);
	if (!path || r->bad || r->n != 0) {
		send_error(id, EINVAL, "malformed file request");
	} else if (nul) {
		send_error(id, EINVAL, "the path contains a NUL byte");
	} else if (path[0] != '/') {
		send_error(id, EINVAL, "the path '%.400s' is not absolute", path);
	} else if (strlen(path) >= 4000) {
		send_error(id, ENAMETOOLONG, "the path is too long");
	} else {
		return path;
	}
	free(path);
	return NULL;
}

void file_write_open(uint32_t id, const uint8_t *payload, uint32_t n)
{
	struct rd r = { payload, n, 0 };
	uint32_t mode = rd_u32(&r);
	uint32_t flags = rd_u32(&r);
	char *path = read_path(&r, id);
	if (!path) return;
	if (mode > 07777) {
		send_error(id, EINVAL, "mode %o is not a permission mode", mode);
		free(path);
		return;
	}
	char *dir = dir_of(path);
	char *tmp = dir ? malloc(strlen(dir) + 32) : NULL;
	if (!tmp) {
		send_error(id, ENOMEM, "out of memory");
		goto fail;
	}
	if (flags & FILE_MKDIRS) {
		int err = make_parents(dir);
		if (err) {
			send_error(id, err, "creating %.400s: %s", dir, strerror(err));
			goto fail;
		}
	}
	sprintf(tmp, "%s/.vm-agent-XXXXXX", strcmp(dir, "/") == 0 ? "" : dir);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		send_error(id, err, "creating a file in %.400s: %s", dir, strerror(err));
		goto fail;
	}
	struct session *s = session_new(id, S_FWRITE);
	if (!s) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	s->fd = fd;
	s->tmp = tmp;
	s->path = path;
	if (fchmod(fd, (mode_t)mode) != 0) {
		send_error(id, errno, "chmod %.400s: %s", path, strerror(errno));
		session_free(s);
	}
	free(dir);
	return;
fail:
	free(tmp);
	free(dir);
	free(path);
}

static int fsync_dir(const char *path)
{
	char *dir = dir_of(path);
	if (!dir) return ENOMEM;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0) return errno;
	int err = fsync(fd) == 0 ? 0 : errno;
	close(fd);
	return err == EINVAL ? 0 : err; /* some filesystems cannot sync a directory */
}

void file_write_data(struct session *s, const uint8_t *p, uint32_t n, int eof)
{
	uint32_t done = 0;
	while (done < n) {
		ssize_t w = write(s->fd, p + done, n - done);
		if (w < 0) {
			if (errno == EINTR) continue;
			send_error(s->id, errno, "writing %.400s: %s", s->path, strerror(errno));
			session_free(s);
			return;
		}
		done += (uint32_t)w;
	}
	s->bytes += n;
	s->unacked += n;
	if (!eof) {
		if (s->unacked >= CREDIT_BATCH) {
			send_credit(s->id, STREAM_FILE, (uint32_t)s->unacked);
			s->unacked = 0;
		}
		return;
	}
	if (fsync(s->fd) != 0) {
		send_error(s->id, errno, "syncing %.400s: %s", s->path, strerror(errno));
		session_free(s);
		return;
	}
	close(s->fd);
	s->fd = -1;
	if (rename(s->tmp, s->path) != 0) {
		send_error(s->id, errno, "%.400s: %s", s->path, strerror(errno));
		session_free(s);
		return;
	}
	free(s->tmp);
	s->tmp = NULL; /* renamed: session_free must not unlink it */
	fsync_dir(s->path);
	uint8_t out[8];
	put_u64(out, s->bytes);
	send_frame(T_FILE_WRITTEN, 0, s->id, out, sizeof out);
	session_free(s);
}

void file_read_open(uint32_t id, const uint8_t *payload, uint32_t n)
{
	struct rd r = { payload, n, 0 };
	uint32_t window = rd_u32(&r);
	char *path = read_path(&r, id);
	if (!path) return;
	/* O_NONBLOCK: opening a FIFO must not hang the agent; it is refused below anyway */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		send_error(id, errno, "%.400s: %s", path, strerror(errno));
		if (fd >= 0) close(fd);
		free(path);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		int err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		send_error(id, err, "%.400s: %s", path,
			   err == EISDIR ? strerror(EISDIR) : "not a regular file");
		close(fd);
		free(path);
		return;
	}
	struct session *s = session_new(id, S_FREAD);
	if (!s) {
		close(fd);
		free(path);
		return;
	}
	s->fd = fd;
	s->path = path;
	s->credit = window > MAX_GRANT ? MAX_GRANT : window;
	uint8_t info[24];
	put_u64(info, (uint64_t)st.st_size);
	put_u32(info + 8, (uint32_t)st.st_mode & 07777);
	put_u32(info + 12, 0);
	put_u64(info + 16, (uint64_t)(int64_t)st.st_mtime);
	send_frame(T_FILE_INFO, 0, id, info, sizeof info);
}

void file_read_pump(struct session *s)
{
	if (s->credit == 0) return;
	size_t want = s->credit < MAX_PAYLOAD ? (size_t)s->credit : MAX_PAYLOAD;
	ssize_t r;
	do r = read(s->fd, A.payload, want);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		send_error(s->id, errno, "reading %.400s: %s", s->path, strerror(errno));
		session_free(s);
	} else if (r == 0) {
		send_frame(T_FILE_CHUNK, FLAG_EOF, s->id, NULL, 0);
		session_free(s);
	} else {
		s->credit -= (uint64_t)r;
		s->bytes += (uint64_t)r;
		send_frame(T_FILE_CHUNK, 0, s->id, A.payload, (uint32_t)r);
	}
}

void file_cancel(struct session *s)
{
	send_error(s->id, ECANCELED, "cancelled by the host");
	session_free(s);
}
