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

/* "svctl: WHO: CAUSE" on stderr, in one write (after what is pending
 * for stdout); err_begin() and err_end() around a cause put piece by
 * piece. */
static void err_begin(const char *who)
{
	out_flush(1);
	out("svctl: ");
	if (who) {
		out(who);
		out(": ");
	}
}

static void err_end(void)
{
	out("\n");
	out_flush(2);
}

static void err(const char *who, const char *cause)
{
	err_begin(who);
	out(cause);
	err_end();
}

/* -h, --help: the usage line (also the usage error's), then the rest */
static const char usage_line[] =
	"usage: svctl [-r RUNDIR] [-w SECS] [-j] COMMAND [NAME...] | top [-c] [-n N]";
static const char help_rest[] =
	"\n  status [NAME...], up down restart once NAME...,\n"
	"  term hup int quit kill usr1 usr2 stop cont alrm winch NAME...,\n"
	"  rescan, poweroff, reboot, halt\n"
	"  -r RUNDIR (else $SVRUN, /run/svc)  -w SECS wait until done  -j JSON\n";

static int help(void)
{
	out(usage_line);
	out(help_rest);
	return out_flush(1) < 0;
}

static int usage(void)
{
	err(NULL, usage_line);
	return E_USAGE;
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
	const struct service *l = logger_of(s);
	return l && shows_pid(l) ? l->pid : 0;
}

/* A text of init's, quoted: quotes, backslashes and control bytes
 * escaped (\xHH on the line, \u00HH in JSON). */
static void put_text(const char *t, int js)
{
	out("\"");
	for (; *t; t++) {
		unsigned char c = (unsigned char)*t;
		char b[8] = { (char)c };
		if (c == '"' || c == '\\') {
			b[0] = '\\', b[1] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			char *p = stpcpy(b, js ? "\\u00" : "\\x");
			p[0] = "0123456789abcdef"[c >> 4];
			p[1] = "0123456789abcdef"[c & 15];
		}
		out(b);
	}
	out("\"");
}

/* The status is one list of fields printed two ways: " KEY=VALUE" on
 * the line, where an unknown value leaves the field out, and
 * ",\"KEY\":VALUE" in JSON, where it is null. key is "LINE\0JSON", the
 * field's names in each. */
/* out() of "LINE\0JSON": the spelling of the line or of JSON */
static void out2(const char *pair, int js)
{
	out(js ? pair + strlen(pair) + 1 : pair);
}

static int key(const char *k, int js, int has)
{
	if (!has && !js)
		return 0;
	out2(" \0,\"", js);
	out2(k, js);
	out2("=\0\":", js);
	if (!has)
		out("null");
	return has;
}

static void num(const char *k, int js, int has, int64_t v)
{
	if (key(k, js, has))
		out_int(v);
}

static void text(const char *k, int js, const char *t)
{
	if (key(k, js, t != NULL))
		put_text(t, js);
}

/* The needs of a waiting service that are not up and ready: printed,
 * "needs=a,b" on the line (js 0), "needs":["a","b"] in JSON (js 1); or
 * (js -1) the first that is fatal found, as it would wait for ever. */
static const struct service *needs(const struct service *s, int js)
{
	const char *p = text_of(s, T_NEEDS);
	int first = 1;
	if (js > 0)
		out(",\"needs\":[");
	while (p && *p && s->state == S_WAITING) {
		char name[NAMELEN + 1];
		size_t n = strcspn(p, " ");
		memcpy(name, p, n < NAMELEN ? n : NAMELEN);
		name[n < NAMELEN ? n : NAMELEN] = 0;
		p += n + (p[n] == ' ');
		const struct service *d = find(name);
		if (js < 0 && d && d->state == S_FATAL)
			return d;
		if (js < 0 || !valid_name(name) || (d && d->state == S_UP && (d->flags & F_READY)))
			continue;
		out2(first ? " needs=\0\"" : ",\0,\"", js);
		out(name);
		if (js)
			out("\"");
		first = 0;
	}
	if (js > 0)
		out("]");
	return NULL;
}

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

/* One service: a line, or a JSON object (names are plain
 * [A-Za-z0-9._@-]: no JSON escaping is needed). */
static void show(const struct service *s, int64_t now, int js)
{
	int run = shows_pid(s), lp = log_pid(s), st = s->last_status;
	int ran = (s->flags & F_RAN) != 0, sig = ran && WIFSIGNALED(st);
	int ready = s->state == S_UP && (s->flags & F_READY);
	const char *sn = sig ? signal_name(WTERMSIG(st)) : NULL;
	int64_t mem, cpu;
	out2("\0{\"name\":\"", js);
	out(s->name);
	out2(" \0\",\"state\":\"", js);
	out(state_name(s->state));
	out2("\0\"", js);
	num("pid\0pid", js, run, s->pid);
	/* seconds since run started; a reader stays careful with the file */
	if (key("uptime\0uptime_s", js, run || js))
		out_fixed(run && s->started >= 0 && s->started <= now ? (uint64_t)(now - s->started) : 0, 3, 0);
	out(run && !js ? "s" : "");
	if (js || (run && ready))
		out2(ready ? " ready\0,\"ready\":true" : "\0,\"ready\":false", js);
	num("restarts\0restarts", js, 1, s->restarts);
	num("exit\0last_exit_code", js, ran && WIFEXITED(st), WEXITSTATUS(st));
	if (sn && !js)
		out(" signal="), out(sn);
	else
		num("signal\0last_signal", js, sig, WTERMSIG(st));
	if (key("want\0want", js, js || s->want != natural_want(s->state)))
		out2(s->want ? "up\0\"up\"" : "down\0\"down\"", js);
	num("log:pid\0log_pid", js, lp != 0, lp);
	needs(s, js);
	if (key("health\0health", js, s->health != 0))
		out2(s->health == 1 ? "ok\0\"ok\"" : "failing:\0\"failing\"", js);
	if (s->health > 1 && !js)
		out_int(s->health - 1);
	usage_of(s, &mem, &cpu);
	num("mem\0mem_bytes", js, mem >= 0, mem);
	if (key("cpu\0cpu_s", js, cpu >= 0))
		out_fixed((uint64_t)cpu, 6, 1);
	num("oom\0oom_kills", js, (s->xflags & X_OOM) != 0, oom_kills[s - slots]);
	text("note\0status_text", js, text_of(s, T_NOTE));
	text("error\0error", js, text_of(s, T_ERROR));
	out2("\n\0}", js);
}

/* Shell sort, a few lines instead of libc's qsort: by name, or by
 * by[slot], biggest first. */
static const int64_t *by;
static int64_t mem[MAXSLOT], cpu[MAXSLOT];  /* top: of each slot */

static void sort(struct service **v, int n)
{
	for (int gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11)
		for (int i = gap; i < n; i++) {
			struct service *x = v[i];
			int j = i;
			for (; j >= gap && (by ? by[x - slots] > by[v[j - gap] - slots] :
					    strcmp(x->name, v[j - gap]->name) < 0); j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
}

/* The services (not loggers) into list, sorted by name; or with key
 * (top), the running ones by mem or cpu, biggest first. */
static int collect(struct service **list, const int64_t *key)
{
	int n = 0;
	for (uint32_t i = 0; i < nslots; i++)
		if ((slots[i].flags & (F_USED | F_LOGGER)) == F_USED && (!key || shows_pid(&slots[i]))) {
			if (key)
				usage_of(&slots[i], &mem[i], &cpu[i]);
			list[n++] = &slots[i];
		}
	by = key;
	sort(list, n);
	return n;
}

static int status(char **names, int n, int as_json)
{
	static struct service *list[MAXSLOT];
	int rc = E_OK, count = n ? 0 : collect(list, NULL);
	for (int i = 0; i < n && count < MAXSLOT; i++)
		if (!(list[count] = find(names[i])))
			err(names[i], "unknown service"), rc = E_UNKNOWN;
		else
			count++;
	int64_t now = clock_ms();
	out(as_json ? "[" : "");
	for (int i = 0; i < count; i++) {
		out(as_json && i ? "," : "");
		show(list[i], now, as_json);
		if (list[i]->state != S_UP && rc == E_OK)
			rc = E_NOTUP;
	}
	out(as_json ? "]\n" : "");
	if (out_flush(1) < 0 && rc == E_OK)
		rc = E_WAIT;
	return rc;
}

/* ---- top: running services by memory (or CPU), every second ---- */

static int top(int argc, char **argv)
{
	static struct service *list[MAXSLOT];
	const int64_t *key = mem;
	uint32_t rounds = 0;  /* 0: until interrupted */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c"))
			key = cpu;
		else if (strcmp(argv[i], "-n") || ++i == argc || parse_uint(argv[i], 1000000, &rounds) < 0)
			return usage();
	for (uint32_t r = 0; !rounds || r < rounds; r++) {
		if (r) {
			poll(NULL, 0, 1000);  /* a second between screens */
		}
		if (!init_alive() || load() < 0) {
			err(run_dir, "no live init");
			return E_UNKNOWN;
		}
		int n = collect(list, key);
		struct winsize ws;
		int rows = syscall(SYS_ioctl, 1, TIOCGWINSZ, &ws) == 0  /* raw: see init.c */ && ws.ws_row > 2 ? ws.ws_row - 2 : 22;
		out(rounds == 1 ? "" : "\033[H\033[2J");  /* a screen, not a scroll */
		out("NAME PID MEM CPU\n");
		for (int i = 0; i < n && i < rows; i++) {
			int k = (int)(list[i] - slots);
			out(list[i]->name);
			out(" ");
			out_int(list[i]->pid);
			out(" ");
			if (mem[k] >= 0)
				out_int(mem[k]);
			else
				out("-");
			out(" ");
			if (cpu[k] >= 0)
				out_fixed((uint64_t)cpu[k], 6, 1);
			else
				out("-");
			out("\n");
		}
		if (out_flush(1) < 0)
			return E_WAIT;
	}
	return E_OK;
}

/* ---- sending and waiting ---- */


static int64_t sent_ms;  /* when the command was sent (CLOCK_MONOTONIC) */

/* 1 done, 0 not yet, -1 can never be (fatal, or waits for a need
 * that is) */
static int reached(int cmd, const struct service *s, uint32_t token)
{
	if (cmd >= FIRST_GLOBAL)
		return cmd == FIRST_GLOBAL ? acked(token) : !init_alive();
	if (cmd != 0 && !acked(token))
		return 0;
	if (cmd == 2)  /* down: and finish done */
		return s->state == S_DOWN;
	if (cmd > 4)  /* a signal: sent */
		return 1;
	/* status, up, restart, once */
	if (s->state == S_UP && (s->flags & F_READY))
		return 1;
	if (s->state == S_FATAL || needs(s, -1))
		return -1;
	/* a one-shot (once, restart never) that started after our command
	 * and is over already: done if it exited 0; failed if it could not
	 * start (exec failed) */
	if (cmd != 0 && s->state == S_DOWN && !s->want && s->started >= sent_ms) {
		if (s->flags & F_RAN)
			return WIFEXITED(s->last_status) && WEXITSTATUS(s->last_status) == 0 ? 1 : -1;
		if (s->xflags & X_ERROR)
			return -1;
	}
	return 0;
}

/* Why a service we waited for will not get there: init's reason if it
 * has one, else how its last run ended; first the need it waits for
 * that is fatal, if that is why. */
static void failed(const struct service *s)
{
	const struct service *d = needs(s, -1);
	if (d) {
		err(s->name, "waits for a need that is fatal:");
		s = d;
	}
	const char *why = text_of(s, T_ERROR);
	int st = s->last_status;
	err_begin(s->name);
	out(s->state == S_FATAL ? "fatal" : "ended");
	if (why) {
		out(": ");
		out(why);
	} else if (s->flags & F_RAN) {
		out(WIFSIGNALED(st) ? ": signal=" : ": exit=");
		out_int(WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	err_end();
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
		    syscall(SYS_fcntl, dfd, F_NOTIFY, DN_MODIFY | DN_MULTISHOT) == 0)  /* raw: see supervise.c */
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

/* n < 0: every service init wants up, as it is at each read (init
 * lists them all before it starts any, also while rc.boot runs). The
 * slots of the needs of a waiting service are read too. */
static int wait_for(int cmd, char **names, int n, uint32_t token, int64_t deadline, int wfd)
{
	int every = n < 0, whole = every;
	for (;;) {
		const char *pending = NULL;
		if (cmd <= FIRST_GLOBAL && (whole ? load() : refresh(names, n)) < 0) {
			err(run_dir, "cannot read status");
			return E_UNKNOWN;
		}
		for (int i = 0; i < (every ? (int)nslots : n ? n : 1); i++) {
			const struct service *s = every ? &slots[i] : n ? find(names[i]) : NULL;
			if (every && ((s->flags & (F_USED | F_LOGGER)) != F_USED || !s->want))
				continue;
			if (n > 0 && !s) {  /* gone from SVDIR meanwhile */
				err(names[i], "unknown service");
				return E_UNKNOWN;
			}
			int r = reached(cmd, s, token);
			if (r < 0) {
				failed(s);
				return E_WAIT;
			}
			if (!r)
				pending = s ? s->name : commands[cmd];
			whole |= s && s->state == S_WAITING;
		}
		if (!pending)
			return E_OK;
		if (clock_ms() >= deadline) {
			err(pending, "timed out");
			return E_WAIT;
		}
		if (await(wfd, deadline) < 0) {
			err(NULL, errstr(errno));
			return E_WAIT;
		}
	}
}

static void not_found(const char *who, int perm)
{
	err(who, unsafe ? UNSAFE : perm ? "permission denied" : "no live init");
}

int svctl_main(int argc, char **argv)
{
	int64_t wait_ms = -1;
	int as_json = 0, i = 1, cmd = 0;
	const char *env = getenv("SVRUN");
	if (env && *env)
		run_dir = env;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] && argv[i][1] != '-'; i++) {
		const char *o = argv[i];
		if (o[2] || (o[1] != 'j' && o[1] != 'h' && i + 1 == argc))
			return usage();
		if (o[1] == 'h')
			return help();
		else if (o[1] == 'j')
			as_json = 1;
		else if (o[1] == 'r')
			run_dir = argv[++i];
		else if (o[1] != 'w')
			return usage();
		else if (parse_secs(argv[++i], &wait_ms) < 0)
			return err(argv[i], "invalid number of seconds"), E_USAGE;
	}
	if (i < argc && !strcmp(argv[i], "--help"))
		return help();
	i += i < argc && !strcmp(argv[i], "--");  /* the end of the options */
	if (i >= argc)
		return usage();
	if (strlen(run_dir) > DIRLEN) {
		err(run_dir, "path too long (400 bytes at most)");
		return E_USAGE;
	}
	if (!strcmp(argv[i], "top"))
		return top(argc - i, argv + i);
	while (cmd < NCOMMANDS && strcmp(argv[i], commands[cmd]))
		cmd++;
	char **names = argv + i + 1;
	int n = argc - i - 1;
	if (cmd == NCOMMANDS) {
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
		not_found(run_dir, 0);
		return unsafe ? E_PERM : E_UNKNOWN;
	}
	if (cmd == 0 && wait_ms < 0)
		return status(names, n, as_json);

	sent_ms = clock_ms();
	uint32_t token = first_token(), next = token;  /* one token per line; `token` ends as the last */
	int rc = E_OK, ntodo = 0, fd = -1;
	if (cmd != 0 && (fd = open_control()) < 0) {
		int perm = errno == EACCES || errno == EPERM || unsafe;
		not_found(run_dir, perm);
		return perm ? E_PERM : E_UNKNOWN;
	}
	/* a global command is one line without a name (k = -1) */
	for (int k = cmd >= FIRST_GLOBAL ? -1 : 0; k < n; k++) {
		const char *who = k < 0 ? commands[cmd] : names[k];
		if (k >= 0 && !find(who)) {
			err(who, "unknown service");
			rc = E_UNKNOWN;
		} else if (fd >= 0 && send_line(fd, commands[cmd], k < 0 ? NULL : who, token = next++) < 0) {
			err(who, errno == EAGAIN ? "cannot send the command: init does not read it" :
			    "cannot send the command");
			rc = E_UNKNOWN;
		} else if (k >= 0) {
			names[ntodo++] = names[k];
		}
	}
	if (fd >= 0)
		close(fd);
	if (wait_ms >= 0 && (ntodo > 0 || cmd >= FIRST_GLOBAL || n == 0)) {
		/* watched from after our own writes to the FIFO (they would
		 * wake us); wait_for() reads the status once before it waits,
		 * so a change made before the watch is not missed either */
		int wfd = watch(cmd);
		if (wfd < 0)
			return E_WAIT;
		int w = wait_for(cmd, names, cmd >= FIRST_GLOBAL ? 0 : n == 0 ? -1 : ntodo, token,
				 sent_ms + wait_ms, wfd);
		if (w && (rc == E_OK || w == E_UNKNOWN))
			rc = w;
	}
	if (cmd == 0 && rc != E_UNKNOWN) {  /* status -w: show it, reached or not */
		int shown = status(argv + i + 1, n, as_json);
		if (rc == E_OK)
			rc = shown;
	}
	return rc;
}
