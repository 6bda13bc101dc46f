/* stubs.h: what a fuzz harness does not want of the real program.
 *
 * Each harness #includes init.c (the shared helpers; its main() renamed)
 * and the one .c file it fuzzes, so the static functions there are in
 * reach. The pieces it does not include are replaced here by inert
 * versions: define FUZZ_HAVE_SUPERVISE, _SERVICEDIR, _CONTROL, _CGROUP, _SVCTL,
 * _SVLOG or _SV before including this file for the pieces that are real.
 *
 * Nothing here starts or signals a process.
 */
#ifndef FUZZ_STUBS_H
#define FUZZ_STUBS_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include "../../init.h"

#ifndef FUZZ_HAVE_SUPERVISE
void svc_start(struct service *s) { (void)s; }
void svc_stop(struct service *s) { (void)s; }
void svc_reaped(pid_t pid, int status) { (void)pid, (void)status; }
int64_t svc_timers(void) { return 0; }
int nnotify;
void svc_ready_input(struct service *s) { (void)s; }
void svc_want_all_down(void) {}
int svc_all_down(void) { return 1; }
void svc_forget(struct service *s) { memset(s, 0, sizeof *s); }
void svc_dirty(struct service *s) { (void)s; }
void svc_log_check(struct service *s) { (void)s; }
struct service *svc_new(const char *name) { (void)name; return NULL; }
const char *svc_label(const struct service *s) { return s->name; }
void svc_set_ready(struct service *s) { (void)s; }
void svc_error(struct service *s, const char *what, const char *cause)
{
	(void)s, (void)what, (void)cause;
}
void svc_fail(struct service *s, const char *what, const char *cause)
{
	say(svc_label(s), what, cause);
}
void svc_text(struct service *s, int table, const char *text) { (void)s, (void)table, (void)text; }
const char *svc_text_of(const struct service *s, int table) { (void)s, (void)table; return NULL; }
void svc_oom_kill(struct service *s) { (void)s; }
/* like the real one: services only, by name */
struct service *svc_find(const char *name)
{
	for (int i = 0; i < nslot; i++)
		if ((svc[i].flags & F_USED) && !(svc[i].flags & F_LOGGER) &&
		    !strcmp(svc[i].name, name))
			return &svc[i];
	return NULL;
}
#ifndef FUZZ_OWN_SVC_COMMAND
void svc_command(struct service *s, const char *cmd) { (void)s, (void)cmd; }
#endif
#endif

#ifndef FUZZ_HAVE_SERVICEDIR
void svdir_open(void) {}
void svdir_scan(void) {}
void svdir_scan_one(const char *name) { (void)name; }
int svdir_watch_fd(void) { return -1; }
void svdir_inotify_input(void) {}
int svdir_read_config(struct service *s, int dirfd, struct runas *ru, char ***envp)
{
	(void)s, (void)dirfd, (void)ru, (void)envp;
	return -1;
}
int svdir_open_service(struct service *s) { (void)s; return -1; }
int svdir_open_service_quiet(const struct service *s) { (void)s; return -1; }
int svdir_expected_exit(const struct service *s, int code) { (void)s; return code == 0; }
int svdir_transient(int err) { (void)err; return 0; }
void svdir_watch(const struct service *s) { (void)s; }
void svdir_unwatch(const struct service *s) { (void)s; }
int svdir_add_watch(const char *path, uint32_t mask) { (void)path, (void)mask; return -1; }
void svdir_rm_watch(int wd) { (void)wd; }
#endif

#ifndef FUZZ_HAVE_DEPS
int ndeps, nheld;
int deps_start(struct service *s) { (void)s; return 1; }
void deps_up(const struct service *s) { (void)s; }
int deps_needed(const struct service *s) { (void)s; return 0; }
int deps_hold(struct service *s) { (void)s; return 0; }
void deps_down(struct service *s) { (void)s; }
void deps_release(void) {}
#endif

#ifndef FUZZ_HAVE_CONTROL
int control_open(void) { return -1; }
int control_fd(void) { return -1; }
void control_input(void) {}
void status_dirty(int slot) { (void)slot; }
void status_flush(void) {}
void status_write(const void *rec, size_t len, size_t off) { (void)rec, (void)len, (void)off; }
void control_say(const char *after) { (void)after; }
void control_lost(void) {}
void control_close(void) {}
int control_wd(void) { return -1; }
#endif

#ifndef FUZZ_HAVE_CGROUP
void cgroup_setup(int machine) { (void)machine; }
int cgroup_watch_fd(void) { return -1; }
void cgroup_input(void) {}
const char *cgroup_of(char *buf, const char *proc) { (void)proc; buf[0] = 0; return buf; }
int64_t cgroup_stat(const char *dir, const char *file, const char *key)
{
	(void)dir, (void)file, (void)key;
	return -1;
}
int cgroup_enter_fd(struct service *s) { (void)s; return -1; }
void cgroup_apply(struct service *s, const struct runas *ru) { (void)s, (void)ru; }
const char cgroup_files[CG_N][11] = { "memory-max", "pids-max", "cpu-weight" };
int cgroup_busy(struct service *s) { (void)s; return 0; }
int cgroup_oom(struct service *s) { (void)s; return 0; }
void cgroup_signal(struct service *s, int sig) { (void)s, (void)sig; }
void cgroup_kill(struct service *s) { (void)s; }
void cgroup_forget(struct service *s) { (void)s; }
void cgroup_cleanup(void) {}
#endif

#ifndef FUZZ_HAVE_SVCTL
int svctl_main(int argc, char **argv) { (void)argc, (void)argv; return 2; }
#endif

#ifndef FUZZ_HAVE_SVLOG
int svlog_main(int argc, char **argv) { (void)argc, (void)argv; return 2; }
#endif

#ifndef FUZZ_HAVE_SV
int sv_main(int argc, char **argv) { (void)argc, (void)argv; return 100; }
#endif

/* A fresh dir for a harness's files: $FUZZ_TMP/NAME.PID (run.sh sets
 * FUZZ_TMP to a dir it removes at the end), else /tmp/NAME.PID. */
static void fuzz_tmpdir(char *buf, size_t size, const char *name)
{
	const char *t = getenv("FUZZ_TMP");
	snprintf(buf, size, "%s/%s.%d", t && *t ? t : "/tmp", name, (int)getpid());
	mkdir(buf, 0755);
}

/* Send the program's own output (stdout, and init's say() lines) to
 * /dev/null; libFuzzer and the sanitizers keep stderr. */
static void fuzz_quiet_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 1);
		close(fd);
	}
}

/* health.c and watchdog.c: no socket, no checks, no device */
#ifndef FUZZ_HAVE_HEALTH
extern char **environ;
char **svc_environ;
void notify_open(int use) { (void)use; svc_environ = environ; }
int notify_fd(void) { return -1; }
void notify_input(void) {}
void health_config(struct service *s, const struct hconf *c) { (void)s, (void)c; }
int health_started(struct service *s, int has_fd) { (void)s; (void)has_fd; return 0; }
void health_ready(struct service *s) { (void)s; }
void health_keepalive(struct service *s) { (void)s; }
int health_watchdog(const struct service *s) { (void)s; return 0; }
char **health_env(const struct service *s, char **base, char **pid_at)
{
	(void)s, (void)pid_at;
	return base;
}
void health_stopped(struct service *s) { (void)s; }
int health_failed(struct service *s) { (void)s; return 0; }
void health_reaped(pid_t pid, int status) { (void)pid, (void)status; }
int64_t health_timer(struct service *s) { (void)s; return 0; }
void hwdog_open(void) {}
int64_t hwdog_timer(void) { return 0; }
void hwdog_feed(void) {}
void hwdog_disarm(void) {}
#endif

#endif
