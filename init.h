/* init.h: what the pieces of the one binary share.
 *
 *   init.c        entry point, the three names, PID-1 duties, the event loop
 *   supervise.c   the per-service state machine: start, stop, reap, backoff
 *   servicedir.c  reading SVDIR and the files of one service dir
 *   control.c     RUNDIR: the control FIFO and the status file
 *   svctl.c       the control client
 *   svlog.c       the logger
 */
#ifndef INIT_H
#define INIT_H

#include <stdint.h>
#include <sys/types.h>

int svctl_main(int argc, char **argv);
int svlog_main(int argc, char **argv);

#endif
