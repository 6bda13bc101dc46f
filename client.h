/* client.h: the shared code of svctl and sv (client.c). */
#ifndef CLIENT_H
#define CLIENT_H

#include "init.h"

extern const char *run_dir;            /* RUNDIR: -r, SVRUN, /run/svc */
#define NCOMMANDS 20
#define FIRST_GLOBAL 16                /* commands from here on take no NAME */
extern const char commands[NCOMMANDS][9];  /* "status", "up", "down", ... */
/* the status file as last read by load(): header, then slots */
extern struct status_head head;
extern struct service *slots;           /* MAXSLOT of them */
extern uint32_t nslots;
extern uint32_t oom_kills[MAXSLOT];

const char *in_run(const char *file);  /* RUNDIR/file (one static buffer) */
extern int unsafe;                     /* RUNDIR or a file in it is not trusted */
int open_run(const char *file, int flags, unsigned type);
int init_alive(void);                  /* a live init owns RUNDIR */
int load(void);                        /* read the status file; -1 if not */
int read_full(int fd, void *buf, size_t len, off_t off);  /* pread all */
int load_texts(int fd, int i);         /* slot i's side texts; -1 torn */
struct service *find(const char *name);  /* a service (not a logger) */
const char *text_of(const struct service *s, int t);
int wait_init(int64_t deadline);       /* load(), waiting for a new init */
int open_control(void);                /* the FIFO, or -1 with errno (or unsafe) */
int send_line(int fd, const char *cmd, const char *name, uint32_t token);  /* -1, errno */
int acked(uint32_t token);             /* init applied that command */
int parse_secs(const char *s, int64_t *ms);  /* "SECS[.FRACTION]" */
uint32_t first_token(void);            /* of this process's commands */
const struct service *logger_of(const struct service *s);  /* its logger, or NULL */
int refresh(char **names, int n);      /* load() again, or only these slots */
int await(int fd, int64_t deadline);   /* poll a watch, drain it; -1 error */

/* stdout through one buffer: written out when full and by out_flush(1);
 * out_flush(2) writes what was put since the last flush on stderr */
void out(const char *s);
void out_int(int64_t v);
void out_fixed(uint64_t v, int shift, int decimals);  /* v / 10^shift */
int out_flush(int fd);                 /* -1 if a write on stdout ever failed */

#endif
