/* fuzz_control.c: the control FIFO reader of init (control.c).
 *
 * The input is what arrives on RUNDIR/control: it is pushed through a
 * real non-blocking pipe in pieces (the first byte picks the piece size),
 * and control_input() reads and applies it: line splitting, over-long
 * lines, the token, the command and name checks. Commands reach a stub
 * svc_command() that checks what it is given. A newline ends each input,
 * so control_input()'s partial-line state is empty again for the next.
 *
 * Anyone allowed to write the FIFO (root) can send these bytes; init is
 * PID 1, so none of them may crash it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "checked.h"
#define main init_main_unused
#include "../../init.c"
#undef main
#include "../../control.c"

#define FUZZ_HAVE_CONTROL
#define FUZZ_OWN_SVC_COMMAND
#include "stubs.h"

static int fz_commands_applied;

/* What control.c may hand to a service: a known command, a valid name,
 * a slot of the table that is a service. */
void svc_command(struct service *s, const char *cmd)
{
	if (s < svc || s >= svc + nslot || !(s->flags & F_USED) || (s->flags & F_LOGGER) ||
	    !valid_name(s->name) || find(svc_cmds, cmd) < 0)
		abort();
	fz_commands_applied++;
}

static int fz_wfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		abort();
	ctlfd = p[0];
	fz_wfd = p[1];
	errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* init's say() */
	fuzz_quiet_stdout();
	static const char *const names[] = { "web", "db", "a@b.c-d_e", "web/log", "x" };
	for (int i = 0; i < 5; i++) {
		svc[i].flags = F_USED | (i == 3 ? F_LOGGER : 0);
		strcpy(svc[i].name, names[i]);
	}
	nslot = 5;
	shutting_down = 1;  /* request_shutdown() then does nothing */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t piece = size ? (size_t)data[0] * 37 + 1 : 1;
	if (size) {
		data++;
		size--;
	}
	uint32_t nack = head.nack;
	while (size > 0) {
		size_t n = size < piece ? size : piece;
		ssize_t w = write(fz_wfd, data, n);
		if (w <= 0)
			abort();  /* pieces are far smaller than the pipe */
		data += w;
		size -= (size_t)w;
		control_input();
	}
	if (write(fz_wfd, "\n", 1) != 1)
		abort();
	control_input();
	/* every command applied is acknowledged, and nothing else is
	 * (rescan, poweroff, reboot, halt are acknowledged without a service) */
	if (head.nack - nack < (uint32_t)fz_commands_applied)
		abort();
	fz_commands_applied = 0;
	char c;
	if (read(ctlfd, &c, 1) != -1 || errno != EAGAIN)
		abort();  /* control_input() leaves the FIFO empty */
	return 0;
}
