/* watchdog.c: the hardware watchdog, machine mode only.
 *
 * If /dev/watchdog is there when init starts, or when /etc/rc.boot has
 * ended (it may load the driver), init opens it, which arms it, and
 * feeds it every half of its timeout from the event loop: if init stops
 * running its loop, the board resets. SVWATCHDOG=SECS (kernel command
 * line) sets the timeout; SVWATCHDOG=0 leaves the device to someone else.
 * At poweroff and halt the device is disarmed (magic close) just before
 * reboot(2); at reboot it stays armed, so a hang on the way down resets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "init.h"

/* <linux/watchdog.h>, which musl's toolchain does not ship; the _IO
 * macros of <sys/ioctl.h> encode them right on every architecture */
#define WDIOC_KEEPALIVE  _IOR('W', 5, int)
#define WDIOC_SETTIMEOUT _IOWR('W', 6, int)
#define WDIOC_GETTIMEOUT _IOR('W', 7, int)
/* ioctl is called raw: libc's carries a table of time64 conversions on
 * 32-bit CPUs (1.3 KB) that none of these needs */

static int wdfd = -1;
static int64_t next_feed;
static uint32_t half_ms;

void hwdog_feed(void)
{
	if (wdfd < 0)
		return;
	syscall(SYS_ioctl, wdfd, WDIOC_KEEPALIVE, 0);
	next_feed = now() + half_ms;
}

void hwdog_open(void)
{
	const char *v = getenv("SVWATCHDOG");
	uint32_t secs = 0;
	if (wdfd >= 0)
		return;
	if (v && parse_uint(v, 86400, &secs) == 0 && !secs)
		return;  /* left to a watchdog daemon (not a number: the device's timeout) */
	int fd = openat(AT_FDCWD, "/dev/watchdog", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno != ENOENT)
			say_sys("/dev/watchdog");
		return;
	}
	int t = (int)secs;  /* SETTIMEOUT gives back the timeout it set */
	if (syscall(SYS_ioctl, fd, secs ? WDIOC_SETTIMEOUT : WDIOC_GETTIMEOUT, &t) < 0 || t < 2)
		t = 2;  /* unknown: feed every second */
	half_ms = (uint32_t)t * 500;
	wdfd = fd;
	hwdog_feed();
}

/* Feed it when due; the next time it is due (0: no device). */
int64_t hwdog_timer(void)
{
	if (wdfd >= 0 && now() >= next_feed)
		hwdog_feed();
	return wdfd >= 0 ? next_feed : 0;
}

/* Magic close: the driver stops the timer (unless built "nowayout"). */
void hwdog_disarm(void)
{
	if (wdfd >= 0 && write(wdfd, "V", 1) == 1)
		close(wdfd);
	wdfd = -1;
}
