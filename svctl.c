/* svctl: tell init what to do, and show what it is doing.
 *
 *   svctl [-r RUNDIR] [-w SECS] [-j] COMMAND [NAME...]
 *
 * A command goes to RUNDIR/control as one line per service, each in one
 * write (atomic on a FIFO), each tagged with a token. svctl always sends it,
 * whatever the status says. Status comes from RUNDIR/status, the table
 * init keeps there. With -w, svctl watches that file (see watch()) until
 * init has applied its last command (its token shows up in the header's
 * ring of recent ones; commands apply in order, so the others are too) and the
 * service has reached the state asked for.
 *
 * Exit: 0 done; 1 wait timed out or fatal; 2 usage; 3 status: not all up;
 * 4 unknown service or no live init; 5 permission denied.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "init.h"
#include "client.h"

enum { E_OK, E_WAIT, E_USAGE, E_NOTUP, E_UNKNOWN, E_PERM };

/* "svctl: WHO: CAUSE" on stderr */
static void err(const char *who, const char *cause)
{
	char line[512], *p = stpcpy(line, "svctl: ");
	if (who) {
		size_t n = strnlen(who, 200);
		memcpy(p, who, n);
		p = stpcpy(p + n, ": ");
	}
	size_t n = strnlen(cause, 200);
	memcpy(p, cause, n);
	p[n] = '\n';
	write_all(2, line, (size_t)(p + n + 1 - line));
}

static int usage(void)
{
	err(NULL, "usage: svctl [-r RUNDIR] [-w SECS] [-j] COMMAND [NAME...] | top [-c] [-n N]");
	return E_USAGE;
}

/* While waiting: read again only the header and the slots of the
 * services waited for, found by name in the last whole read (a few
 * hundred bytes instead of the table of 1000 services). Anything
 * unexpected (a slot caught half-written, reused by another name, the
 * table grown or shrunk) falls back to reading it all. */
#define QUICK 16
static int locate(char **names, int n, int16_t *at)
{
	for (int i = 0; i < n; i++) {
		const struct service *s = n <= QUICK ? find(names[i]) : NULL;
		if (!s)
			return 0;
		at[i] = (int16_t)(s - slots);
	}
	return 1;
}

static int refresh(char **names, int n)
{
	static int16_t at[QUICK];
	static int known = -1;
	int fd = -1, ok;
	if (known < 0)
		known = locate(names, n, at);
	ok = known && (fd = openat(AT_FDCWD, in_run("status"), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0 &&
	     read_full(fd, &head, sizeof head, 0) == 0 && head.magic == STATUS_MAGIC &&
	     head.nslot == nslots && head.sum == checksum((char *)&head + 4, sizeof head - 4);
	for (int i = 0; ok && i < n; i++) {
		struct service *s = &slots[at[i]];
		ok = read_full(fd, s, sizeof *s, (off_t)(sizeof head + (size_t)at[i] * sizeof *s)) == 0 &&
		     s->sum == checksum((char *)s + 4, sizeof *s - 4) &&
		     (s->flags & (F_USED | F_LOGGER)) == F_USED && !strncmp(s->name, names[i], NAMELEN) &&
		     load_texts(fd, at[i]) == 0;
		s->name[NAMELEN] = 0;
	}
	if (fd >= 0)
		close(fd);
	if (ok)
		return 0;
	if (load() < 0)
		return -1;
	known = locate(names, n, at);
	return 0;
}

/* ---- showing status ---- */

static int shows_pid(const struct service *s)
{
	return s->pid > 0 && (s->state == S_UP || s->state == S_STARTING || s->state == S_STOPPING);
}

static int natural_want(int state)
{
	return state == S_UP || state == S_STARTING || state == S_BACKOFF || state == S_WAITING;
}

static int log_pid(const struct service *s)
{
	if (s->peer < 0 || (uint32_t)s->peer >= nslots)
		return 0;
	const struct service *l = &slots[s->peer];
	return (l->flags & F_LOGGER) && shows_pid(l) ? l->pid : 0;
}

/* Seconds since run started; the file is init's, but a reader stays
 * careful with what it reads. */
static int64_t uptime(const struct service *s, int64_t now)
{
	return s->started < 0 || s->started > now ? 0 : (now - s->started) / 1000;
}

/* Output goes through one buffer, written out when full and at the end. */
struct out {
	size_t len;
	int failed;
	char buf[64 * 1024];
};

static void flush(struct out *o)
{
	if (o->len && write_all(1, o->buf, o->len) < 0)
		o->failed = 1;
	o->len = 0;
}

static void put(struct out *o, const char *str)
{
	size_t n = strlen(str);
	if (o->len + n > sizeof o->buf)
		flush(o);
	if (n > sizeof o->buf)
		return;
	memcpy(o->buf + o->len, str, n);
	o->len += n;
}

static void put_int(struct out *o, int64_t v)
{
	char num[24];
	*fmt_int(num, v) = 0;
	put(o, num);
}

/* " key=value" or "\"key\":value," */
static void put_kv(struct out *o, const char *key, int64_t v)
{
	put(o, key);
	put_int(o, v);
}

/* A text of init's, quoted: quotes, backslashes and control bytes
 * escaped (\xHH on the line, \u00HH in JSON). */
static void put_text(struct out *o, const char *t, int as_json)
{
	put(o, "\"");
	for (; *t; t++) {
		unsigned char c = (unsigned char)*t;
		char b[8] = { (char)c };
		if (c == '"' || c == '\\') {
			b[0] = '\\', b[1] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			char *p = stpcpy(b, as_json ? "\\u00" : "\\x");
			p[0] = "0123456789abcdef"[c >> 4];
			p[1] = "0123456789abcdef"[c & 15];
		}
		put(o, b);
	}
	put(o, "\"");
}

/* What a waiting service still waits for: the names in its `needs` not
 * up and ready, "a,b" on the line, "\"a\",\"b\"" in JSON. */
static void put_needs(struct out *o, const struct service *s, int as_json)
{
	const char *p = text_of(s, T_NEEDS);
	int first = 1;
	while (p && *p && s->state == S_WAITING) {
		char name[NAMELEN + 1];
		size_t n = strcspn(p, " ");
		memcpy(name, p, n < NAMELEN ? n : NAMELEN);
		name[n < NAMELEN ? n : NAMELEN] = 0;
		p += n + (p[n] == ' ');
		const struct service *d = find(name);
		if (!valid_name(name) || (d && d->state == S_UP && (d->flags & F_READY)))
			continue;
		put(o, as_json ? (first ? "\"" : ",\"") : (first ? " needs=" : ","));
		put(o, name);
		if (as_json)
			put(o, "\"");
		first = 0;
	}
}

static void put_or_null(struct out *o, const char *key, int has, int64_t v);

/* Memory (bytes) and CPU (microseconds) of a running service, read from
 * its cgroup (found through /proc/PID/cgroup; init spends nothing on
 * them): -1 where unknown. */
static void usage_of(const struct service *s, int64_t *mem, int64_t *cpu)
{
	static int used = -1;  /* does init use cgroups? It is in BASE/init then */
	char proc[32], dir[PATHLEN];
	*mem = *cpu = -1;
	if (used < 0) {  /* once, not a /proc read per service for nothing */
		memcpy(fmt_uint(stpcpy(proc, "/proc/"), (uint64_t)head.pid), "/cgroup", 8);
		size_t n = strlen(cgroup_of(dir, proc));
		used = n >= 5 && !strcmp(dir + n - 5, "/init");
	}
	if (!used || !shows_pid(s))
		return;
	memcpy(fmt_uint(stpcpy(proc, "/proc/"), (uint64_t)s->pid), "/cgroup", 8);
	size_t n = strlen(cgroup_of(dir, proc)), k = strlen(s->name);
	/* only in a cgroup of its own: init's BASE/svc/NAME */
	if (n < k + 5 || strcmp(dir + n - k, s->name) || strncmp(dir + n - k - 5, "/svc/", 5))
		return;
	*mem = cgroup_stat(dir, "memory.current", "");
	*cpu = cgroup_stat(dir, "cpu.stat", "usage_usec ");
}

/* seconds with one decimal */
static void put_secs(struct out *o, int64_t usec)
{
	put_int(o, usec / 1000000);
	put_kv(o, ".", usec / 100000 % 10);
}

/* " mem=BYTES cpu=SECONDS" on the line; JSON "mem_bytes", "cpu_s" */
static void put_cgroup(struct out *o, const struct service *s, int as_json)
{
	int64_t mem, cpu;
	usage_of(s, &mem, &cpu);
	if (as_json) {
		put_or_null(o, ",\"mem_bytes\":", mem >= 0, mem);
		put(o, ",\"cpu_s\":");
	} else {
		if (mem >= 0)
			put_kv(o, " mem=", mem);
		if (cpu >= 0)
			put(o, " cpu=");
	}
	if (cpu >= 0)
		put_secs(o, cpu);
	else if (as_json)
		put(o, "null");
}

static void line(struct out *o, const struct service *s, int64_t now)
{
	put(o, s->name);
	put(o, " ");
	put(o, state_name(s->state));
	if (shows_pid(s)) {
		put_kv(o, " pid=", s->pid);
		put_kv(o, " uptime=", uptime(s, now));
		put(o, "s");
		if (s->state == S_UP && (s->flags & F_READY))
			put(o, " ready");
	}
	put_kv(o, " restarts=", s->restarts);
	if (s->flags & F_RAN) {
		if (WIFSIGNALED(s->last_status)) {
			const char *n = signal_name(WTERMSIG(s->last_status));
			put(o, " signal=");
			if (n)
				put(o, n);
			else
				put_int(o, WTERMSIG(s->last_status));
		} else {
			put_kv(o, " exit=", WEXITSTATUS(s->last_status));
		}
	}
	if (s->want != natural_want(s->state))
		put(o, s->want ? " want=up" : " want=down");
	int lp = log_pid(s);
	if (lp)
		put_kv(o, " log:pid=", lp);
	put_needs(o, s, 0);
	if (s->health == 1)
		put(o, " health=ok");
	else if (s->health > 1)
		put_kv(o, " health=failing:", s->health - 1);
	put_cgroup(o, s, 0);
	if (s->xflags & X_OOM)
		put_kv(o, " oom=", oom_kills[s - slots]);
	if (text_of(s, T_NOTE)) {
		put(o, " note=");
		put_text(o, text_of(s, T_NOTE), 0);
	}
	if (text_of(s, T_ERROR)) {
		put(o, " error=");
		put_text(o, text_of(s, T_ERROR), 0);
	}
	put(o, "\n");
}

/* "key":"text" with the text escaped, or "key":null */
static void put_text_or_null(struct out *o, const char *key, const char *text)
{
	put(o, key);
	if (text)
		put_text(o, text, 1);
	else
		put(o, "null");
}

static void put_or_null(struct out *o, const char *key, int has, int64_t v)
{
	put(o, key);
	if (has)
		put_int(o, v);
	else
		put(o, "null");
}

/* Names are plain [A-Za-z0-9._@-]: no JSON escaping is needed. */
static void json(struct out *o, const struct service *s, int64_t now, int first)
{
	int running = shows_pid(s), lp = log_pid(s);
	int ran = (s->flags & F_RAN) != 0, st = s->last_status;
	put(o, first ? "{\"name\":\"" : ",{\"name\":\"");
	put(o, s->name);
	put(o, "\",\"state\":\"");
	put(o, state_name(s->state));
	put_or_null(o, "\",\"pid\":", running, s->pid);
	put_kv(o, ",\"uptime_s\":", running ? uptime(s, now) : 0);
	put(o, s->state == S_UP && (s->flags & F_READY) ? ",\"ready\":true" : ",\"ready\":false");
	put_kv(o, ",\"restarts\":", s->restarts);
	put(o, s->want ? ",\"want\":\"up\"" : ",\"want\":\"down\"");
	put_or_null(o, ",\"last_exit_code\":", ran && WIFEXITED(st), WEXITSTATUS(st));
	put_or_null(o, ",\"last_signal\":", ran && WIFSIGNALED(st), WTERMSIG(st));
	put_or_null(o, ",\"log_pid\":", lp != 0, lp);
	put(o, ",\"needs\":[");
	put_needs(o, s, 1);
	put_text_or_null(o, "],\"error\":", text_of(s, T_ERROR));
	put(o, ",\"health\":");
	put(o, s->health == 1 ? "\"ok\"" : s->health ? "\"failing\"" : "null");
	put_text_or_null(o, ",\"status_text\":", text_of(s, T_NOTE));
	put_cgroup(o, s, 1);
	put_or_null(o, ",\"oom_kills\":", (s->xflags & X_OOM) != 0, oom_kills[s - slots]);
	put(o, "}");
}

/* Shell sort by name: a few lines instead of libc's qsort. */
static void sort_by_name(struct service **v, int n)
{
	for (int gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11)
		for (int i = gap; i < n; i++) {
			struct service *x = v[i];
			int j = i;
			for (; j >= gap && strcmp(v[j - gap]->name, x->name) > 0; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
}

static int status(char **names, int n, int as_json)
{
	static struct service *list[MAXSLOT];
	static struct out o;
	int count = 0, rc = E_OK;
	if (n == 0) {
		for (uint32_t i = 0; i < nslots; i++)
			if ((slots[i].flags & (F_USED | F_LOGGER)) == F_USED)
				list[count++] = &slots[i];
		sort_by_name(list, count);
	} else {
		for (int i = 0; i < n && count < MAXSLOT; i++) {
			struct service *s = find(names[i]);
			if (s)
				list[count++] = s;
			else
				err(names[i], "unknown service"), rc = E_UNKNOWN;
		}
	}
	int64_t now = clock_ms();
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
	flush(&o);
	if (o.failed && rc == E_OK)
		rc = E_WAIT;
	return rc;
}

/* ---- top: running services by memory (or CPU), every second ---- */

static int top(int argc, char **argv)
{
	static struct service *list[MAXSLOT];
	static int64_t mem[MAXSLOT], cpu[MAXSLOT];
	static struct out o;
	uint32_t rounds = 0;  /* 0: until interrupted */
	int by_cpu = 0;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c"))
			by_cpu = 1;
		else if (strcmp(argv[i], "-n") || ++i == argc || parse_uint(argv[i], 1000000, &rounds) < 0)
			return usage();
	for (uint32_t r = 0; !rounds || r < rounds; r++) {
		if (r) {
			struct timespec t = { 1, 0 };
			nanosleep(&t, NULL);
		}
		if (!init_alive() || load() < 0) {
			err(run_dir, "no live init");
			return E_UNKNOWN;
		}
		int n = 0;
		for (uint32_t i = 0; i < nslots; i++)
			if ((slots[i].flags & (F_USED | F_LOGGER)) == F_USED && shows_pid(&slots[i])) {
				usage_of(&slots[i], &mem[n], &cpu[n]);
				list[n++] = &slots[i];
			}
		for (int i = 1; i < n; i++)  /* insertion sort, biggest first */
			for (int j = i; j > 0 && (by_cpu ? cpu : mem)[j] > (by_cpu ? cpu : mem)[j - 1]; j--) {
				struct service *x = list[j];
				int64_t m = mem[j], c = cpu[j];
				list[j] = list[j - 1], mem[j] = mem[j - 1], cpu[j] = cpu[j - 1];
				list[j - 1] = x, mem[j - 1] = m, cpu[j - 1] = c;
			}
		struct winsize ws;
		int rows = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2 ? ws.ws_row - 2 : 22;
		put(&o, rounds == 1 ? "" : "\033[H\033[2J");  /* a screen, not a scroll */
		put(&o, "NAME PID MEM CPU\n");
		for (int i = 0; i < n && i < rows; i++) {
			put(&o, list[i]->name);
			put_kv(&o, " ", list[i]->pid);
			put(&o, " ");
			if (mem[i] >= 0)
				put_int(&o, mem[i]);
			else
				put(&o, "-");
			put(&o, " ");
			if (cpu[i] >= 0)
				put_secs(&o, cpu[i]);
			else
				put(&o, "-");
			put(&o, "\n");
		}
		flush(&o);
		if (o.failed)
			return E_WAIT;
	}
	return E_OK;
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

static void not_sent(const char *who)
{
	err(who, errno == EAGAIN ? "cannot send the command: init does not read it" :
	    "cannot send the command");
}

static int64_t sent_ms;  /* when the command was sent (CLOCK_MONOTONIC) */

/* 1 done, 0 not yet, -1 can never be (fatal) */
static int reached(int cmd, const char *name, uint32_t token)
{
	if (cmd >= FIRST_GLOBAL) {
		if (cmd == FIRST_GLOBAL)
			return acked(token);
		return !init_alive();
	}
	const struct service *s = find(name);
	if (!s)
		return -2;  /* gone from SVDIR meanwhile */
	if (cmd != 0 && !acked(token))
		return 0;
	switch (cmd) {
	case 0: case 1: case 3: case 4:  /* status, up, restart, once */
		if (s->state == S_UP && (s->flags & F_READY))
			return 1;
		if (s->state == S_FATAL)
			return -1;
		/* a one-shot (once, restart never) that started after our
		 * command and is over already: done if it exited 0 */
		if (cmd != 0 && s->state == S_DOWN && !s->want && s->started >= sent_ms &&
		    (s->flags & F_RAN))
			return WIFEXITED(s->last_status) && WEXITSTATUS(s->last_status) == 0 ? 1 : -1;
		if (cmd != 0 && s->state == S_DOWN && !s->want && s->started >= sent_ms &&
		    (s->xflags & X_ERROR))
			return -1;  /* could not start (exec failed) */
		return 0;
	case 2:  /* down: and finish done */
		return s->state == S_DOWN;
	default:
		return 1;
	}
}

/* Why a service we waited for will not get there: init's reason if it
 * has one, else how its last run ended. */
static void failed(const char *name)
{
	const struct service *s = find(name);
	const char *why = s ? text_of(s, T_ERROR) : NULL;
	char buf[2 * TEXT_MAX], *p = stpcpy(buf, s && s->state == S_FATAL ? "fatal" : "ended");
	if (why)
		strcpy(stpcpy(p, ": "), why);
	else if (s && (s->flags & F_RAN))
		*fmt_int(stpcpy(p, WIFSIGNALED(s->last_status) ? ": signal=" : ": exit="),
			 WIFSIGNALED(s->last_status) ? WTERMSIG(s->last_status) :
			 WEXITSTATUS(s->last_status)) = 0;
	err(name, buf);
}

/* What wakes a waiting svctl: init rewrites RUNDIR/status at each
 * change, and the kernel sends us SIGIO (read from a signalfd) for each
 * write in RUNDIR (dnotify). Not inotify: releasing an inotify instance,
 * as every svctl -w does at exit, waits for a kernel grace period (SRCU),
 * a few milliseconds and tens on a busy machine; a dnotify watch goes
 * without waiting. poweroff, reboot and halt wait for init's exit, seen
 * as its close of RUNDIR/pid, which only inotify reports; it is also
 * the way when the kernel has no dnotify. */
static int watch(int cmd)
{
	if (cmd <= FIRST_GLOBAL) {
		sigset_t io;
		int sfd = -1, dfd = -1;
		sigemptyset(&io);
		sigaddset(&io, SIGIO);
		if (sigprocmask(SIG_BLOCK, &io, NULL) == 0 &&
		    (sfd = signalfd(-1, &io, SFD_NONBLOCK | SFD_CLOEXEC)) >= 0 &&
		    (dfd = openat(AT_FDCWD, run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
		    fcntl(dfd, F_NOTIFY, DN_MODIFY | DN_MULTISHOT) == 0)
			return sfd;  /* dfd stays open: the watch lasts as long */
		if (sfd >= 0)
			close(sfd);
		if (dfd >= 0)
			close(dfd);
	}
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino < 0 || inotify_add_watch(ino, in_run("status"), IN_MODIFY | IN_DONT_FOLLOW) < 0 ||
	    (cmd > FIRST_GLOBAL && inotify_add_watch(ino, in_run("pid"), IN_CLOSE_WRITE | IN_DONT_FOLLOW) < 0)) {
		err(run_dir, errstr(errno));
		return -1;
	}
	return ino;
}

/* status -w with no name: every service init wants up, as it is now
 * (init lists them all before it starts any, also while rc.boot runs) */
static char **every_wanted(int *n)
{
	static char copy[MAXSVC][NAMELEN + 1], *all[MAXSVC];
	*n = 0;
	for (uint32_t k = 0; k < nslots && *n < MAXSVC; k++)
		if ((slots[k].flags & (F_USED | F_LOGGER)) == F_USED && slots[k].want) {
			all[*n] = copy[*n];
			memcpy(copy[(*n)++], slots[k].name, NAMELEN + 1);
		}
	return all;
}

/* n < 0: every service wanted up */
static int wait_for(int cmd, char **names, int n, uint32_t token, int64_t deadline, int wfd)
{
	int every = n < 0;
	for (;;) {
		int done = 1;
		const char *pending = NULL;
		if (cmd < FIRST_GLOBAL + 1 && (every ? load() : refresh(names, n)) < 0) {
			err(run_dir, "cannot read status");
			return E_UNKNOWN;
		}
		if (every && (names = every_wanted(&n), n == 0))
			return E_OK;
		for (int i = 0; i < (n ? n : 1); i++) {
			int r = reached(cmd, n ? names[i] : NULL, token);
			if (r == -2) {
				err(names[i], "unknown service");
				return E_UNKNOWN;
			}
			if (r < 0) {
				failed(names[i]);
				return E_WAIT;
			}
			if (!r) {
				done = 0;
				pending = n ? names[i] : commands[cmd];
			}
		}
		if (done)
			return E_OK;
		int64_t left = deadline - clock_ms();
		if (left <= 0) {
			err(pending, "timed out");
			return E_WAIT;
		}
		struct pollfd p = { .fd = wfd, .events = POLLIN };
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR) {
			err(NULL, errstr(errno));
			return E_WAIT;
		}
		char buf[4096];
		while (r > 0 && read(wfd, buf, sizeof buf) > 0)
			;
	}
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
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			static const char help[] =
				"usage: svctl [-r RUNDIR] [-w SECS] [-j] COMMAND [NAME...]\n"
				"  status [NAME...], up down restart once NAME...,\n"
				"  term hup int quit kill usr1 usr2 stop cont alrm winch NAME...,\n"
				"  rescan, poweroff, reboot, halt\n"
				"  -r RUNDIR (else $SVRUN, /run/svc)  -w SECS wait until done  -j JSON\n";
			return write_all(1, help, sizeof help - 1) < 0;
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
	if (strlen(run_dir) > DIRLEN) {
		err(run_dir, "path too long (400 bytes at most)");
		return E_USAGE;
	}
	if (!strcmp(argv[i], "top"))
		return top(argc - i, argv + i);
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

	if (!init_alive() || (load() < 0 && (wait_ms < 0 || wait_init(clock_ms() + wait_ms) < 0))) {
		err(run_dir, unsafe ? UNSAFE : "no live init");
		return unsafe ? E_PERM : E_UNKNOWN;
	}
	int rc = E_OK;
	if (cmd == 0 && wait_ms < 0)
		return status(names, n, as_json);

	sent_ms = clock_ms();
	int64_t deadline = sent_ms + (wait_ms < 0 ? 0 : wait_ms);
	uint32_t token = ((uint32_t)getpid() << 12) ^ (uint32_t)(clock_ms() & 0xfff) ^ 0x80000000u;
	uint32_t next = token;  /* one token per line sent; `token` ends as the last */

	char **todo = names;
	int ntodo = 0;
	if (cmd != 0) {
		int fd = open_control();
		if (fd < 0) {
			int perm = errno == EACCES || errno == EPERM || unsafe;
			err(run_dir, unsafe ? UNSAFE : perm ? "permission denied" : "no live init");
			return perm ? E_PERM : E_UNKNOWN;
		}
		if (cmd >= FIRST_GLOBAL) {
			if (send_line(fd, commands[cmd], NULL, token = next++) < 0)
				not_sent(commands[cmd]), rc = E_UNKNOWN;
		}
		for (int k = 0; k < n; k++) {
			if (!find(names[k])) {
				err(names[k], "unknown service");
				rc = E_UNKNOWN;
			} else if (send_line(fd, commands[cmd], names[k], token = next++) < 0) {
				not_sent(names[k]);
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
	}
	if (wait_ms >= 0 && (ntodo > 0 || cmd >= FIRST_GLOBAL || n == 0)) {
		/* watched from after our own writes to the FIFO (they would
		 * wake us); wait_for() reads the status once before it waits,
		 * so a change made before the watch is not missed either */
		int wfd = watch(cmd);
		if (wfd < 0)
			return E_WAIT;
		int w = wait_for(cmd, todo, cmd >= FIRST_GLOBAL ? 0 : n == 0 ? -1 : ntodo, token, deadline, wfd);
		if (w && (rc == E_OK || w == E_UNKNOWN))
			rc = w;
	}
	if (cmd == 0 && rc != E_UNKNOWN) {  /* status -w: show it, reached or not */
		int shown = status(names, n, as_json);
		if (rc == E_OK)
			rc = shown;
	}
	return rc;
}
