/* svctl: tell init what to do, and show what it is doing.
 *
 *   svctl [-r RUNDIR] [-w SECS] [-j] COMMAND [NAME...]
 *
 * A command goes to RUNDIR/control as one line per service, each in one
 * write (atomic on a FIFO), tagged with a token. svctl always sends it,
 * whatever the status says. Status comes from RUNDIR/status, the table
 * init keeps there. With -w, svctl watches that file with inotify until
 * init has applied its command (the token shows up in the slot) and the
 * service has reached the state asked for.
 *
 * Exit: 0 done; 1 wait timed out or fatal; 2 usage; 3 status: not all up;
 * 4 unknown service or no live init; 5 permission denied.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

enum { E_OK, E_WAIT, E_USAGE, E_NOTUP, E_UNKNOWN, E_PERM };

static const char *run_dir = "/run/svc";
static char path_buf[4096];

/* the status file as read: header, then slots */
static struct status_head head;
static struct service *slots;
static uint32_t nslots;

static const char *in_run(const char *file)
{
	snprintf(path_buf, sizeof path_buf, "%s/%s", run_dir, file);
	return path_buf;
}

static void err(const char *who, const char *cause)
{
	char line[512];
	int n = snprintf(line, sizeof line, "svctl: %s%s%s\n", who ? who : "", who ? ": " : "", cause);
	if (n > 0)
		write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int usage(void)
{
	err(NULL, "usage: svctl [-r RUNDIR] [-w SECS] [-j] COMMAND [NAME...]");
	return E_USAGE;
}

/* Is there a live init on RUNDIR? It holds an exclusive lock on pid. */
static int init_alive(void)
{
	int fd = open(in_run("pid"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

static int read_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Read the status file; a slot or header caught half-written (its
 * checksum does not match) makes us read again. */
static int load(void)
{
	int fd = open(in_run("status"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (int tries = 0; tries < 1000; tries++) {
		if (read_full(fd, &head, sizeof head, 0) < 0)
			break;
		if (head.magic != STATUS_MAGIC || head.slotsize != sizeof(struct service) ||
		    head.nslot > MAXSLOT)
			break;
		if (head.sum != checksum((char *)&head + 4, sizeof head - 4))
			continue;
		free(slots);
		nslots = head.nslot;
		slots = calloc(nslots + 1, sizeof *slots);
		if (!slots)
			break;
		if (nslots && read_full(fd, slots, nslots * sizeof *slots, sizeof head) < 0)
			break;
		uint32_t i;
		for (i = 0; i < nslots; i++)
			if ((slots[i].flags & F_USED) &&
			    slots[i].sum != checksum((char *)&slots[i] + 4, sizeof slots[i] - 4))
				break;
		if (i == nslots) {
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -1;
}

static struct service *find(const char *name)
{
	for (uint32_t i = 0; i < nslots; i++)
		if ((slots[i].flags & (F_USED | F_LOGGER)) == F_USED && !strcmp(slots[i].name, name))
			return &slots[i];
	return NULL;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- showing status ---- */

static int shows_pid(const struct service *s)
{
	return s->pid > 0 && (s->state == S_UP || s->state == S_STARTING || s->state == S_STOPPING);
}

static int natural_want(int state)
{
	return state == S_UP || state == S_STARTING || state == S_BACKOFF;
}

static int log_pid(const struct service *s)
{
	if (s->peer < 0 || (uint32_t)s->peer >= nslots)
		return 0;
	const struct service *l = &slots[s->peer];
	return (l->flags & F_LOGGER) && shows_pid(l) ? l->pid : 0;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap + (size_t)n + 1) * 2;
		char *b = realloc(o->buf, cap);
		if (!b)
			return;
		o->buf = b;
		o->cap = cap;
	}
}

static void line(struct out *o, const struct service *s, int64_t now)
{
	put(o, "%s %s", s->name, state_name(s->state));
	if (shows_pid(s)) {
		put(o, " pid=%d uptime=%llds", s->pid, (long long)((now - s->started) / 1000));
		if (s->state == S_UP && (s->flags & F_READY))
			put(o, " ready");
	}
	put(o, " restarts=%u", s->restarts);
	if (s->flags & F_RAN) {
		if (WIFSIGNALED(s->last_status)) {
			const char *n = signal_name(WTERMSIG(s->last_status));
			if (n)
				put(o, " signal=%s", n);
			else
				put(o, " signal=%d", WTERMSIG(s->last_status));
		} else {
			put(o, " exit=%d", WEXITSTATUS(s->last_status));
		}
	}
	if (s->want != natural_want(s->state))
		put(o, " want=%s", s->want ? "up" : "down");
	int lp = log_pid(s);
	if (lp)
		put(o, " log:pid=%d", lp);
	put(o, "\n");
}

static void json(struct out *o, const struct service *s, int64_t now, int first)
{
	int running = shows_pid(s), lp = log_pid(s);
	int ran = (s->flags & F_RAN) != 0, st = s->last_status;
	put(o, "%s{\"name\":\"%s\",\"state\":\"%s\",", first ? "" : ",", s->name, state_name(s->state));
	if (running)
		put(o, "\"pid\":%d,\"uptime_s\":%lld,", s->pid, (long long)((now - s->started) / 1000));
	else
		put(o, "\"pid\":null,\"uptime_s\":0,");
	put(o, "\"ready\":%s,\"restarts\":%u,\"want\":\"%s\",",
	    s->state == S_UP && (s->flags & F_READY) ? "true" : "false", s->restarts,
	    s->want ? "up" : "down");
	if (ran && WIFEXITED(st))
		put(o, "\"last_exit_code\":%d,\"last_signal\":null,", WEXITSTATUS(st));
	else if (ran && WIFSIGNALED(st))
		put(o, "\"last_exit_code\":null,\"last_signal\":%d,", WTERMSIG(st));
	else
		put(o, "\"last_exit_code\":null,\"last_signal\":null,");
	if (lp)
		put(o, "\"log_pid\":%d}", lp);
	else
		put(o, "\"log_pid\":null}");
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct service *const *)a)->name, (*(struct service *const *)b)->name);
}

static int status(char **names, int n, int as_json)
{
	struct service **list = calloc(nslots + (size_t)n + 1, sizeof *list);
	int count = 0, rc = E_OK;
	if (!list)
		return E_UNKNOWN;
	if (n == 0) {
		for (uint32_t i = 0; i < nslots; i++)
			if ((slots[i].flags & (F_USED | F_LOGGER)) == F_USED)
				list[count++] = &slots[i];
		qsort(list, (size_t)count, sizeof *list, by_name);
	} else {
		for (int i = 0; i < n; i++) {
			struct service *s = find(names[i]);
			if (s)
				list[count++] = s;
			else
				err(names[i], "unknown service"), rc = E_UNKNOWN;
		}
	}
	struct out o = { 0 };
	int64_t now = mono_ms();
	if (as_json)
		put(&o, "[");
	for (int i = 0; i < count; i++) {
		if (as_json)
			json(&o, list[i], now, i == 0);
		else
			line(&o, list[i], now);
		if (list[i]->state != S_UP && rc == E_OK)
			rc = E_NOTUP;
	}
	if (as_json)
		put(&o, "]\n");
	if (o.len && write_all(1, o.buf, o.len) < 0)
		rc = rc ? rc : E_WAIT;
	free(o.buf);
	free(list);
	return rc;
}

/* ---- sending and waiting ---- */

static const char *const commands[] = {
	"status", "up", "down", "restart", "once",
	"term", "hup", "int", "quit", "kill", "usr1", "usr2", "stop", "cont", "alrm", "winch",
	"rescan", "poweroff", "reboot", "halt",
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])
#define FIRST_GLOBAL 16  /* commands from here on take no NAME */

static int command_index(const char *cmd)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i]))
			return (int)i;
	return -1;
}

static int open_control(void)
{
	int fd = open(in_run("control"), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			err(run_dir, "permission denied");
			return -E_PERM;
		}
		err(run_dir, "no live init");
		return -E_UNKNOWN;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static int send_line(int fd, const char *cmd, const char *name, uint32_t token)
{
	char buf[PIPE_BUF];
	int n = snprintf(buf, sizeof buf, "%s%s%s @%u\n", cmd, name ? " " : "", name ? name : "", token);
	if (n < 0 || (size_t)n >= sizeof buf || write_all(fd, buf, (size_t)n) < 0) {
		err(name ? name : cmd, "cannot send the command");
		return -1;
	}
	return 0;
}

static int acked(const struct service *s, uint32_t token)
{
	for (size_t i = 0; i < sizeof s->ack / sizeof s->ack[0]; i++)
		if (s->ack[i] == token)
			return 1;
	return 0;
}

/* 1 done, 0 not yet, -1 can never be (fatal) */
static int reached(int cmd, const char *name, uint32_t token)
{
	if (cmd >= FIRST_GLOBAL) {
		if (cmd == FIRST_GLOBAL)
			return head.ack == token;
		return !init_alive();
	}
	const struct service *s = find(name);
	if (!s)
		return -1;
	if (cmd != 0 && !acked(s, token))
		return 0;
	switch (cmd) {
	case 0: case 1: case 3: case 4:  /* status, up, restart, once */
		if (s->state == S_UP && (s->flags & F_READY))
			return 1;
		return s->state == S_FATAL ? -1 : 0;
	case 2:  /* down: and finish done */
		return s->state == S_DOWN;
	default:
		return 1;
	}
}

static int wait_for(int cmd, char **names, int n, uint32_t token, int64_t deadline, int ino)
{
	for (;;) {
		int done = 1;
		const char *pending = NULL;
		if (cmd < FIRST_GLOBAL + 1 && load() < 0) {
			err(run_dir, "cannot read status");
			return E_UNKNOWN;
		}
		for (int i = 0; i < (n ? n : 1); i++) {
			int r = reached(cmd, n ? names[i] : NULL, token);
			if (r < 0) {
				err(names[i], "fatal");
				return E_WAIT;
			}
			if (!r) {
				done = 0;
				pending = n ? names[i] : commands[cmd];
			}
		}
		if (done)
			return E_OK;
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			err(pending, "timed out");
			return E_WAIT;
		}
		struct pollfd p = { .fd = ino, .events = POLLIN };
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR) {
			err(NULL, strerror(errno));
			return E_WAIT;
		}
		char buf[4096];
		while (r > 0 && read(ino, buf, sizeof buf) > 0)
			;
	}
}

static int parse_secs(const char *s, int64_t *ms)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || end == s || *end || !(d >= 0) || d > 1e9)
		return -1;
	*ms = (int64_t)(d * 1000);
	return 0;
}

int svctl_main(int argc, char **argv)
{
	int64_t wait_ms = -1;
	int as_json = 0, i = 1;
	const char *env = getenv("SVRUN");
	if (env && *env)
		run_dir = env;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-j")) {
			as_json = 1;
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			run_dir = argv[++i];
		} else if (!strcmp(argv[i], "-w") && i + 1 < argc) {
			if (parse_secs(argv[++i], &wait_ms) < 0) {
				err(argv[i], "invalid number of seconds");
				return E_USAGE;
			}
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	int cmd = command_index(argv[i]);
	char **names = argv + i + 1;
	int n = argc - i - 1;
	if (cmd < 0) {
		err(argv[i], "unknown command");
		return E_USAGE;
	}
	if (cmd >= FIRST_GLOBAL ? n != 0 : (cmd != 0 && n == 0))
		return usage();
	for (int k = 0; k < n; k++)
		if (!valid_name(names[k])) {
			err(names[k], "invalid service name");
			return E_USAGE;
		}

	if (!init_alive() || load() < 0) {
		err(run_dir, "no live init");
		return E_UNKNOWN;
	}
	int rc = E_OK;
	if (cmd == 0 && wait_ms < 0)
		return status(names, n, as_json);

	/* watch before sending, so no change between the two is missed */
	int ino = -1;
	if (wait_ms >= 0) {
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino < 0 || inotify_add_watch(ino, in_run("status"), IN_MODIFY) < 0 ||
		    (cmd > FIRST_GLOBAL && inotify_add_watch(ino, in_run("pid"), IN_CLOSE_WRITE) < 0)) {
			err(run_dir, strerror(errno));
			return E_WAIT;
		}
	}
	int64_t deadline = mono_ms() + (wait_ms < 0 ? 0 : wait_ms);
	uint32_t token = ((uint32_t)getpid() << 12) ^ (uint32_t)(mono_ms() & 0xfff) ^ 0x80000000u;

	char **todo = names;
	int ntodo = 0;
	if (cmd != 0) {
		int fd = open_control();
		if (fd < 0)
			return -fd;
		if (cmd >= FIRST_GLOBAL) {
			if (send_line(fd, commands[cmd], NULL, token) < 0)
				rc = E_UNKNOWN;
		}
		for (int k = 0; k < n; k++) {
			if (!find(names[k])) {
				err(names[k], "unknown service");
				rc = E_UNKNOWN;
			} else if (send_line(fd, commands[cmd], names[k], token) < 0) {
				rc = E_UNKNOWN;
			} else {
				todo[ntodo++] = names[k];
			}
		}
		close(fd);
	} else {
		for (int k = 0; k < n; k++)
			if (!find(names[k]))
				err(names[k], "unknown service"), rc = E_UNKNOWN;
			else
				todo[ntodo++] = names[k];
		if (n == 0) {  /* status -w with no name: every service */
			static char *all[MAXSLOT];
			for (uint32_t k = 0; k < nslots; k++)
				if ((slots[k].flags & (F_USED | F_LOGGER)) == F_USED)
					all[ntodo++] = strdup(slots[k].name);
			todo = all;
		}
	}
	if (wait_ms >= 0 && (ntodo > 0 || cmd >= FIRST_GLOBAL)) {
		int w = wait_for(cmd, todo, cmd >= FIRST_GLOBAL ? 0 : ntodo, token, deadline, ino);
		if (w && (rc == E_OK || w == E_UNKNOWN))
			rc = w;
	}
	if (cmd == 0 && rc == E_OK)
		rc = status(names, n, as_json);
	return rc;
}
