/* fuzz_status.c: svctl's reader of RUNDIR/status (svctl.c load()) and
 * everything that shows what it read: status lines, -j, the -w checks.
 *
 * The input is the status file. If its first byte is odd, the harness
 * makes it pass load()'s checks first (magic, slot size, slot count and
 * checksums set from the data), so the fuzzer reaches the code behind
 * them; if even, the bytes are written as they are.
 *
 * The status file is written by init only, but svctl (run by any user)
 * must not crash on a torn, truncated or foreign file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#define main init_main_unused
#define usage init_usage_unused  /* svctl.c has its own */
#include "../../init.c"
#undef main
#undef usage
#include "../../client.c"
#include "../../svctl.c"

#define FUZZ_HAVE_SVCTL
#include "stubs.h"

static char fz_dir[128], fz_file[192];
static uint8_t fz_image[sizeof(struct status_head) + MAXSLOT * sizeof(struct service)];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tmpdir(fz_dir, sizeof fz_dir, "fuzz_status");
	mkdir(fz_dir, 0755);
	snprintf(fz_file, sizeof fz_file, "%s/status", fz_dir);
	run_dir = fz_dir;
	fuzz_quiet_stdout();
	/* svctl's err() lines go to fd 2: keep libFuzzer's own output by
	 * running with -close_fd_mask=2 (run.sh does) */
	return 0;
}

/* Make the image pass load(): header fields and checksums. */
static size_t fz_fix_up(size_t size)
{
	struct status_head h;
	size_t hs = sizeof h, ss = sizeof(struct service);
	if (size < hs)
		size = hs;
	memcpy(&h, fz_image, hs);
	h.magic = STATUS_MAGIC;
	h.slotsize = (uint32_t)ss;
	uint32_t fit = (uint32_t)((size - hs) / ss);
	if (h.nslot > fit)
		h.nslot = fit;
	h.sum = checksum((char *)&h + sizeof h.sum, hs - sizeof h.sum);
	memcpy(fz_image, &h, hs);
	for (uint32_t i = 0; i < h.nslot; i++) {
		struct service s;
		memcpy(&s, fz_image + hs + i * ss, ss);
		s.sum = checksum((char *)&s + sizeof s.sum, ss - sizeof s.sum);
		memcpy(fz_image + hs + i * ss, &s, ss);
	}
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > sizeof fz_image)
		size = sizeof fz_image;
	memset(fz_image, 0, sizeof fz_image);
	memcpy(fz_image, data, size);
	if (size && (data[0] & 1))
		size = fz_fix_up(size);
	int fd = open(fz_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, fz_image, size) != (ssize_t)size)
		abort();
	close(fd);

	if (load() < 0)
		return 0;
	if (nslots > MAXSLOT)
		abort();
	status(NULL, 0, 0);
	status(NULL, 0, 1);
	char *names[] = { "web", "db", "x" };
	status(names, 3, 0);
	status(names, 3, 1);
	for (int cmd = 0; cmd < FIRST_GLOBAL; cmd++)
		for (int i = 0; i < 3; i++)
			if (find(names[i]))
				reached(cmd, find(names[i]), head.ack[0]);
	return 0;
}
