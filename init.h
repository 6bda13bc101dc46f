/* init.h: what the pieces of the one binary share.
 *
 *   init.c        entry point, the three names, PID-1 duties, the event loop
 *   supervise.c   the per-service state machine: start, stop, reap, backoff
 *   servicedir.c  reading SVDIR and the files of one service dir
 *   deps.c        `needs`: start and stop order
 *   control.c     RUNDIR: the control FIFO and the status file
 *   cgroup.c      a cgroup v2 per service and logger
 *   svctl.c       the control client
 *   svlog.c       the logger
 *   health.c      notification socket, service watchdog, check probes
 *   watchdog.c    the hardware watchdog
 *   client.c      what svctl and sv share (client.h)
 *   sv.c          runit's sv, spoken to this init
 */
#ifndef INIT_H
#define INIT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#define MAXSVC   1024          /* services; each may have a logger too */
#define MAXSLOT  (2 * MAXSVC)  /* slots in the table: services + loggers */
#define NAMELEN  64            /* longest service name */
#define DIRLEN   400           /* longest SVDIR or RUNDIR path */
#define PATHLEN  512           /* a path under them: DIR/NAME/log/FILE fits */

/* The states of SPEC section 4, in the order svctl names them. */
enum state { S_DOWN, S_STARTING, S_UP, S_STOPPING, S_FINISHING, S_BACKOFF, S_FATAL,
	     S_WAITING /* deps.c: for its needs to be up and ready */ };

enum restart { R_ALWAYS, R_ONFAILURE, R_NEVER };

/* Slot flags. */
#define F_USED     0x0001u  /* slot holds a service or a logger */
#define F_LOGGER   0x0002u  /* this slot is the logger of slot `peer` */
#define F_READY    0x0004u  /* run is ready (notification-fd seen, or none) */
#define F_ONCE     0x0008u  /* do not restart when run ends */
#define F_GONE     0x0010u  /* removed from SVDIR: forget when down */
#define F_HASLOG   0x0020u  /* the service dir has log/ */
#define F_FINISH   0x0040u  /* the service dir has an executable finish */
#define F_NOW      0x0080u  /* next start at once, no backoff (svctl restart) */
#define F_AUTO     0x0100u  /* next start is init's own: counts in restarts */
#define F_EOFWAIT  0x0200u  /* logger: pipe closed, waiting for it to exit */
#define F_RAN      0x0400u  /* a run has ended: last_status is valid */
#define F_NEW      0x0800u  /* just found in SVDIR: `down` decides its start */
#define F_DOWNFILE 0x1000u  /* the service dir has `down` (as last read) */
#define F_SEEN     0x2000u  /* servicedir.c: found by the scan under way */
#define F_HEALTH   0x4000u  /* uses notify, watchdog or check (health.c) */

/* One service or logger. The table of these is also the status file:
 * control.c writes the slots verbatim to RUNDIR/status, svctl reads them.
 * `sum` lets a reader detect a slot it read while init was rewriting it. */
struct service {
	uint32_t sum;             /* checksum of the rest of the slot */
	int32_t pid;              /* process we wait for: run, or finish */
	int64_t started;          /* CLOCK_MONOTONIC ms when run started */
	int64_t deadline;         /* ms: backoff end, kill or finish timeout; 0 none */
	uint32_t restarts;        /* starts init made on its own */
	/* configuration, read again at each start (servicedir.c) */
	uint32_t timeout_kill, timeout_finish;
	int32_t last_status;      /* wait status of the last run that ended */
	/* fds init holds for this slot, all close-on-exec (and below 32768) */
	int16_t logpipe[2];       /* service: pipe to its logger; -1 none */
	int16_t notify;           /* read end of the readiness pipe; -1 none */
	uint16_t failures;        /* consecutive runs shorter than 5 s */
	uint16_t max_failures;
	int16_t peer;             /* logger's slot, or a logger's service; -1 */
	int16_t notify_fd;        /* notification-fd N, or -1 */
	uint16_t flags;           /* F_* */
	uint8_t down_signal, restart;
	uint8_t state, want;      /* enum state; want: 1 up, 0 down */
	char name[NAMELEN + 1];   /* a logger has its service's name */
	/* the 3 bytes the slot had as padding (it stays 128 bytes) */
	uint8_t xflags;           /* X_*: what the side tables hold for this slot */
	uint8_t health;           /* health.c: 0 unknown (null), 1 ok, 1+N failing:N */
	uint8_t spare;
};
_Static_assert(sizeof(struct service) == 128, "the slot table is memory: keep slots small");

/* Who a process runs as (file `user`) and with which limits (`limits`,
 * and for its cgroup `memory-max`, `pids-max`, `cpu-weight`); filled at
 * each start. */
struct rlim { uint64_t cur, max; int res; };  /* prlimit64's layout first */
enum { CG_MEMORY, CG_PIDS, CG_CPU, CG_N };
struct runas {
	int set, ngroups;
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int nlimits;
	struct rlim limit[10];
	unsigned cgset;           /* CG_* bits: cg[] values given */
	uint64_t cg[CG_N];
};

/* What a service dir asks of health.c, read at each start. */
#define H_NOTIFY   1u       /* file notify: ready on READY=1 */
#define H_CHECK    2u       /* file check */
#define H_WATCHDOG 4u       /* file watchdog */
enum { HC_WATCHDOG, HC_INTERVAL, HC_TIMEOUT, HC_RETRIES };
struct hconf {
	uint32_t v[4];          /* HC_*: watchdog, check-interval, -timeout (ms), -retries */
	uint8_t what;           /* H_* */
};

/* Header at offset 0 of RUNDIR/status; slots follow. A svctl waiting
 * for its command finds its token among the last NACK applied. */
#define NACK 64
struct status_head {
	uint32_t sum;
	uint32_t magic;           /* STATUS_MAGIC */
	uint32_t slotsize;        /* sizeof(struct service) */
	uint32_t nslot;           /* slots in use (high-water mark) */
	uint32_t nack;            /* commands applied so far */
	uint32_t ack[NACK];       /* their tokens, a ring: ack[nack % NACK] is next */
	int32_t pid;              /* init's pid in its own namespace */
};
#define STATUS_MAGIC 0x32737673u  /* "svs2" */
_Static_assert(sizeof(struct service) % 4 == 0 && sizeof(struct status_head) % 4 == 0,
	       "checksum() sums 32-bit words");

/* Extra flags (xflags). A feature a service does not use costs it no
 * memory page: its texts live in side tables (BSS, and their own region
 * of the status file), touched only for slots whose flag is set. */
#define X_ERROR  0x01u  /* T_ERROR holds why it last failed */
#define X_NOTE   0x02u  /* T_NOTE holds its STATUS= text (health.c) */
#define X_NEEDS  0x04u  /* T_NEEDS holds its `needs` (deps.c) */
#define X_HELD   0x08u  /* deps.c: stop held until its dependents are down */
#define X_OOM    0x10u  /* oom_kills[slot] counts OOM kills (cgroup.c) */
#define X_PULLED 0x20u  /* deps.c: wanted up as a need, over its `down` file */
#define X_DOWNING 0x40u /* deps.c: going down with what needs it */

/* Side texts, one record of TEXT_REC bytes per slot in each table: a
 * checksum and a NUL-terminated text (cut to fit, never inside a UTF-8
 * sequence). In RUNDIR/status the tables follow the slot table, in this
 * order, then the oom_kills words:
 *
 *   header | slots[MAXSLOT] | error[MAXSLOT] | note[MAXSLOT] | needs[MAXSLOT] | oom[MAXSLOT]
 *
 * How the other pieces fill their fields:
 *   error    svc_fail(s, what, cause) says "init: NAME: what: cause" on
 *            stderr and keeps "what: cause" (svc_error() keeps it without
 *            saying anything, e.g. "watchdog timeout", "check failed",
 *            "out of memory"). Cleared when the service is next up and
 *            ready (set_state to S_UP with F_READY, or svc_set_ready()).
 *   note     health.c: svc_text(s, T_NOTE, text) on STATUS=, NULL clears.
 *   health   health.c: s->health = 1 (ok) or 1 + failed checks in a row
 *            (at most 255), then svc_dirty(s); 0 shows null / nothing.
 *   oom      cgroup.c: svc_oom_kill(s) counts one and sets the error.
 *   mem, cpu svctl reads them itself (hooks in svctl.c: put_cgroup()).
 */
enum { T_ERROR, T_NOTE, T_NEEDS, NTEXT };  /* flag of table t: 1 << t */
#define TEXT_REC   128                /* bytes of a record */
#define TEXT_MAX   80                 /* error and note: longer is cut */
#define NEEDS_MAX  (TEXT_REC - 5)     /* bytes of names in `needs` */
#define TEXT_BASE  (sizeof(struct status_head) + (size_t)MAXSLOT * sizeof(struct service))
/* offset in RUNDIR/status of slot i's record of table t, of its oom word */
#define TEXT_OFF(t, i) (TEXT_BASE + ((size_t)(t) * MAXSLOT + (size_t)(i)) * TEXT_REC)
#define OOM_OFF(i)     (TEXT_OFF(NTEXT, 0) + (size_t)(i) * 4)

/* Static tables that every service touches: the linker sorts .bss by
 * alignment, largest first (Makefile: --sort-section), so these come
 * first, on the page .data ends in and the next, instead of each on a
 * page of its own among tables most services never touch (-28 KiB of
 * PSS at 1000 services). HOT2: the poll array, whose head alone is hot,
 * after them. */
#define HOT  __attribute__((aligned(128)))
#define HOT2 __attribute__((aligned(64)))

/* ---- init.c: globals and small helpers shared by all pieces ---- */
extern struct service svc[MAXSLOT];

/* clock_gettime: on 64-bit CPUs the plain system call (libc's vDSO
 * lookup costs 1 KB of binary; the call is made once per wake-up); on
 * 32-bit ones libc's, which picks the 64-bit-time call the kernel has. */
static inline void clock_now(int clock, struct timespec *ts)
{
	/* neither fails with a known clock and a valid pointer */
#if (defined(__x86_64__) || defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64)) \
	&& !defined(LIBC_CLOCK)  /* fuzz_loop fakes the clock through libc's call */
	(void)syscall(SYS_clock_gettime, clock, ts);
#else
	(void)clock_gettime(clock, ts);
#endif
}

/* A big zeroed table, mapped when first needed rather than kept in BSS:
 * the code then addresses directly less than 1 MB (aarch64's
 * -mcmodel=tiny); untouched pages cost no memory either way. NULL if
 * out of memory. */
static inline void *big_table(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}
extern int nslot;              /* high-water mark of used slots */
extern const char *svdir, *rundir;
extern int shutting_down;
extern int booting;            /* 1: /etc/rc.boot still runs; 2: no services at all */
int64_t now(void);             /* ms, CLOCK_MONOTONIC, of this wake-up */
void clock_tick(void);         /* a new wake-up: now() reads the clock again */

struct stat;
int64_t clock_ms(void);
int stat_at(int dfd, const char *path, struct stat *st, int flags);
int access_at(int dfd, const char *path, int mode);
pid_t fork_raw(void);
int more_fds(void);
int sig_default(int sig);
#define KSIGSET_SIZE (_NSIG / 8)  /* the kernel's sigset_t: 8 bytes, 16 on MIPS */
extern const uint64_t ksig_all[2], ksig_none[2];
int sigmask_set(const uint64_t *set);  /* raw rt_sigprocmask(SIG_SETMASK) */
void say(const char *who, const char *what, const char *cause);
void say_errno(const char *who, const char *what, int err);
void say_sys(const char *what);     /* say_errno(NULL, what, errno) */
const char *errstr(int err);
#define ENOTREG EMEDIUMTYPE    /* our own use: "Not a regular file" */
int open_regular(int dfd, const char *file);
int trusted(int fd, unsigned type);
#define UNSAFE "not owned by init's user (or root), or writable by others"
int fd_flags(int fd);           /* fcntl(fd, F_GETFD), raw */
int write_all(int fd, const void *buf, size_t len);
int pwrite_all(int fd, const void *buf, size_t len, off_t off);
int mkdir_p(const char *dir);
int parse_uint(const char *s, uint32_t max, uint32_t *out);
int parse_size(const char *s, int suffix, uint64_t *out);
char *fmt_uint(char *p, uint64_t v);
char *fmt_int(char *p, int64_t v);
const char *join(char *buf, const char *dir, const char *file);
int signal_number(const char *name);
const char *signal_name(int sig);
int valid_name(const char *name);
uint32_t checksum(const void *p, size_t len);
void request_shutdown(int action);
const char *state_name(int state);

/* ---- supervise.c ---- */
extern int nnotify;            /* readiness pipes open */
void svc_start(struct service *s);
void svc_stop(struct service *s);
void svc_command(struct service *s, const char *cmd);
void svc_reaped(pid_t pid, int status);
int64_t svc_timers(void);
extern int timers_changed;      /* a timer was set: svc_timers() looks again */
void svc_ready_input(struct service *s);
void svc_want_all_down(void);
int svc_all_down(void);
void svc_forget(struct service *s);
void svc_dirty(struct service *s);
struct service *svc_find(const char *name);
struct service *svc_new(const char *name);
void svc_log_check(struct service *s);
void svc_emptied(struct service *s);
int limits_apply(const struct runas *ru);
const char *svc_label(const struct service *s);
void svc_set_ready(struct service *s);
void svc_fail(struct service *s, const char *what, const char *cause);
void svc_error(struct service *s, const char *what, const char *cause);
void svc_text(struct service *s, int table, const char *text);
const char *svc_text_of(const struct service *s, int table);
void svc_oom_kill(struct service *s);
struct service *svc_by_pid(pid_t pid);
pid_t svc_spawn_aux(struct service *s, char *const argv[3]);
void svc_wake(struct service *s);
void svc_config_fatal(struct service *s);


/* ---- health.c ---- */
extern char **svc_environ;     /* the environment services start with */
void notify_open(int use);
int notify_fd(void);
void notify_input(void);
void health_config(struct service *s, const struct hconf *c);
int health_started(struct service *s, int has_fd);
void health_ready(struct service *s);
void health_keepalive(struct service *s);
int health_watchdog(const struct service *s);
char **health_env(const struct service *s, char **base, char **pid_at);
void health_stopped(struct service *s);
int health_failed(struct service *s);
void health_reaped(pid_t pid, int status);
int64_t health_timer(struct service *s);

/* ---- watchdog.c: the hardware watchdog (machine mode) ---- */
void hwdog_open(void);
int64_t hwdog_timer(void);
void hwdog_feed(void);
void hwdog_disarm(void);

/* ---- deps.c ---- */
extern int ndeps, nheld;
int deps_start(struct service *s);
void deps_up(const struct service *s);
int deps_needed(const struct service *s);
int deps_hold(struct service *s);
void deps_down(struct service *s);
void deps_release(void);

/* ---- servicedir.c ---- */
void svdir_open(void);
void svdir_scan(void);
void svdir_scan_one(const char *name);
int svdir_watch_fd(void);
void svdir_inotify_input(void);
int svdir_read_config(struct service *s, int dirfd, struct runas *ru, char ***envp);
int svdir_open_service(struct service *s);
int svdir_open_service_quiet(const struct service *s);
int svdir_expected_exit(const struct service *s, int code);
int svdir_transient(int err);
void svdir_watch(const struct service *s);
void svdir_unwatch(const struct service *s);
int svdir_add_watch(const char *path, uint32_t mask);
void svdir_rm_watch(int wd);

void each_line(const char *path, int (*fn)(char *line, void *arg), void *arg);

/* ---- cgroup.c ---- */
void cgroup_setup(int machine);
int cgroup_watch_fd(void);
void cgroup_input(void);
const char *cgroup_of(char *buf, const char *proc);
int64_t cgroup_stat(const char *dir, const char *file, const char *key);
int cgroup_enter_fd(struct service *s);
void cgroup_apply(struct service *s, const struct runas *ru);
extern const char cgroup_files[CG_N][11];
int cgroup_busy(struct service *s);
int cgroup_oom(struct service *s);
void cgroup_signal(struct service *s, int sig);
void cgroup_kill(struct service *s);
void cgroup_forget(struct service *s);
void cgroup_cleanup(void);

/* ---- control.c ---- */
int control_open(void);
void control_close(void);
void control_say(const char *after);
int control_wd(void);
void control_lost(void);
int control_fd(void);
void control_input(void);
void status_dirty(int slot);
void status_flush(void);
void status_write(const void *rec, size_t len, size_t off);

/* ---- entry points of the other names ---- */
int svctl_main(int argc, char **argv);
int svlog_main(int argc, char **argv);
int sv_main(int argc, char **argv);

#endif
