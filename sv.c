/* sv: runit's control program, for the scripts that call it.
 *
 *   sv [-v] [-w SEC] COMMAND NAME...
 *
 * The same words, output and exit codes as runit's sv, spoken to this
 * init (found like svctl: SVRUN, else /run/svc) instead of runsv's
 * supervise/ files. NAME is a service name or a path to a service dir
 * (starting with / or .), whose last component is the name.
 *
 * COMMAND is taken by its first letter, as runit does: u(p), d(own),
 * o(nce), t(erm), p(ause), c(ont), h(up), a(larm), i(nterrupt), q(uit),
 * 1, 2, k(ill), e(xit) or x; `check`; any other word starting with s is
 * `status`; and the LSB words start, stop, restart, reload, shutdown,
 * force-stop, force-reload, force-restart, force-shutdown, which wait.
 *
 * Exit: the number of NAMEs that failed (at most 99), 100 on usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "init.h"
#include "client.h"


static int64_t t0;   /* when sv started: a restart must be newer */
static void end_line(void)
{
	out("\n");
	out_flush(1);
}

/* "PREFIX: ARG: TEXT" as one line, as runit's sv says it */
static void say_line(const char *prefix, const char *arg, const char *text)
{
	out(prefix);
	out(arg);
	out(": ");
	out(text);
	end_line();
}

static int running(const struct service *s)
{
	return s->pid > 0 && (s->state == S_UP || s->state == S_STARTING ||
			      s->state == S_STOPPING || s->state == S_FINISHING);
}

/* runit's status of one supervised process:
 * "run: web: (pid 12) 30s, normally down, want down" */
static void status_of(const struct service *s, const char *label)
{
	int pid = running(s);
	int64_t t = clock_ms() - s->started;
	/* init keeps no time of the stop: a down service shows 0s */
	out(pid ? s->state == S_FINISHING ? "finish: " : "run: " : "down: ");
	out(label);
	if (pid) {
		out(": (pid ");
		out_int(s->pid);
		out(") ");
	} else {
		out(": ");
	}
	out_fixed(!pid || s->started <= 0 || t < 0 ? 0 : (uint64_t)t, 3, 0);
	out("s");
	int normally_up = !(s->flags & F_DOWNFILE);
	if (pid && !normally_up)
		out(", normally down");
	if (!pid && normally_up)
		out(", normally up");
	if (!pid && s->want)
		out(", want up");
	if (pid && !s->want)
		out(", want down");
	if (s->state == S_STOPPING)
		out(", got TERM");
	if (s->state == S_FATAL)
		out(", fatal");
}

/* The service an argument names: "web", or the last component of a
 * path to its dir ("/etc/sv/web", "./web/"), as runit takes it. */
static const char *name_of(char *arg)
{
	if (arg[0] != '/' && arg[0] != '.')
		return arg;
	size_t n = strlen(arg);
	while (n > 1 && arg[n - 1] == '/')
		arg[--n] = 0;
	char *last = strrchr(arg, '/');
	return last ? last + 1 : arg;
}

/* 1 when the service has reached what `check` waits for, 0 not yet,
 * -1 never (fatal). t: restarted since sv began (or stopped for good);
 * c: in the state it is wanted in; o: up, or ran and ended since. */
static int reached(const struct service *s, char check)
{
	int down = s->state == S_DOWN || s->state == S_FATAL;
	if (check == 'd' || (check == 'c' && !s->want) || (check == 't' && !s->want && down))
		return down;
	if (!strchr("ucto", check) || (check == 'o' && down && s->started >= t0) ||
	    (s->state == S_UP && (s->flags & F_READY) && (check != 't' || s->started >= t0)))
		return 1;
	return s->state == S_FATAL ? -1 : 0;
}

/* runit's COMMAND: the init command it sends (NULL: none) and what to
 * wait for (0: nothing, unless -v). A word is known by its first letter,
 * as runit knows it, except these whole words. */
static const struct { char word[9], cmd, check; } words[] = {  /* cmd: in commands[] */
	{ "check", 0, 'c' },  /* 0: none */
	{ "start", 1, 'u' },  /* up */
	{ "stop", 2, 'd' },  /* down */
	{ "shutdown", 2, 'd' },
	{ "restart", 3, 't' },
	{ "reload", 6, 'h' },  /* hup */
};
static const char letters[] = "udotpchaikq12xe";
static const char cmds[] = {  /* up down once term stop cont hup alrm int kill quit usr1 usr2 down down */
	1, 2, 4, 5, 12, 13, 6, 14, 7, 9, 8, 10, 11, 2, 2,
};

static int usage(void)
{
	static const char u[] = "usage: sv [-v] [-w sec] command service ...\n";
	write_all(2, u, sizeof u - 1);
	return 100;
}

int sv_main(int argc, char **argv)
{
	int64_t wait_ms = 7000;
	int verbose = 0, i = 1, rc = 0;
	const char *env = getenv("SVRUN");
	if (env && *env)
		run_dir = env;
	env = getenv("SVWAIT");
	if (env && parse_secs(env, &wait_ms) < 0)
		wait_ms = 7000;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "-v")) {
			verbose = 1;
		} else if (o[1] == 'w') {  /* -w SEC or -wSEC; as in runit, it implies -v */
			const char *v = o[2] ? o + 2 : i + 1 < argc ? argv[++i] : "";
			if (parse_secs(v, &wait_ms) < 0)
				return usage();
			verbose = 1;
		} else {
			return usage();
		}
	}
	if (argc - i < 2 || strlen(run_dir) > DIRLEN)
		return usage();
	const char *word = argv[i++], *cmd = NULL, *p;
	char check = 0;
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
		if (!strcmp(word, words[k].word))
			cmd = words[k].cmd ? commands[(int)words[k].cmd] : NULL, check = words[k].check;
	if (!check) {
		if (*word != 's') {  /* any other s... is status */
			if (!*word || !(p = strchr(letters, *word)))
				return usage();
			cmd = commands[(int)cmds[p - letters]];
		}
		if (cmd && verbose)
			check = strchr("udot", *cmd == 's' ? 0 : *word) ? *word : *word == 'x' || *word == 'e' ? 'd' : 'h';
	}
	int is_exit = *word == 'x' || *word == 'e' || !strcmp(word, "shutdown");
	t0 = clock_ms();

	/* watch before sending, so no change between the two is missed */
	int ino = check ? inotify_init1(IN_CLOEXEC | IN_NONBLOCK) : -1;
	if (ino >= 0)
		inotify_add_watch(ino, in_run("status"), IN_MODIFY);
	/* an init that has just started writes its status in a moment */
	int alive = init_alive() && (load() == 0 || wait_init(t0 + wait_ms) == 0);
	int fd = alive && cmd ? open_control() : -1;
	static const char *names[MAXSVC];
	uint32_t token = first_token();
	int n = argc - i < MAXSVC ? argc - i : MAXSVC;
	char **args = argv + i;
	for (int k = 0; k < n; k++) {
		const char *name = name_of(args[k]);
		const struct service *s = alive && valid_name(name) ? find(name) : NULL;
		const char *why = !alive ? "runsv not running" :
			!s ? "unable to change to service directory" :
			cmd && (fd < 0 || send_line(fd, cmd, name, ++token) < 0) ?
			"unable to send the command" : NULL;
		if (why) {
			say_line(!alive && is_exit ? "ok: " : "fail: ", args[k], why);
			rc += alive || !is_exit;
		} else if (check) {
			names[k] = name;
		} else if (!cmd) {
			status_of(s, args[k]);
			if ((s = logger_of(s))) {
				out("; ");
				status_of(s, "log");
			}
			end_line();
		}
	}

	/* wait until each has reached its state, or the time is up */
	for (int pending = check != 0; pending;) {
		pending = 0;
		if (load() < 0)
			break;
		int64_t left = t0 + wait_ms - clock_ms();
		for (int k = 0; k < n; k++) {
			const struct service *s = names[k] ? find(names[k]) : NULL;
			if (!names[k])
				continue;
			/* commands apply in order: the last one seen, all are */
			int r = !s ? -1 : cmd && !acked(token) ? 0 : reached(s, check);
			if (r == 0 && left > 0) {
				pending = 1;
				continue;
			}
			if (!s) {
				say_line("fail: ", args[k], "unable to change to service directory");
			} else {
				out(r > 0 ? "ok: " : r < 0 ? "fail: " : "timeout: ");
				status_of(s, args[k]);
				end_line();
			}
			rc += r <= 0;
			names[k] = NULL;
		}
		if (pending)
			await(ino, ino < 0 ? clock_ms() + 100 : t0 + wait_ms);
	}
	rc += argc - i - n;
	return rc > 99 ? 99 : rc;
}
