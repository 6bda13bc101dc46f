/* deps.c: `needs`, the order in which services start and stop.
 *
 * A service dir may hold `needs`: names of other services. Its list is
 * read at each start (servicedir.c) into a side text of the slot
 * (T_NEEDS, flag X_NEEDS), so a service without `needs` costs nothing
 * here: every walk below runs only while some slot has the flag.
 *
 *   start    run starts only when every need is up and ready; until
 *            then the service is WAITING and its needs are wanted up
 *            (over their `down` file: X_PULLED). A need coming up wakes
 *            its waiting dependents through a deadline of now, so
 *            nothing here recurses into svc_start().
 *   stop     `svctl down NAME` (and shutdown) stop the dependents of
 *            NAME first: NAME's stop is held (X_HELD) until none of them
 *            has a process left. Every wait is bounded by the dependents'
 *            own timeout-kill.
 *   cycles   a needs b needs a (or a needs a) makes every service of the
 *            cycle fatal, with one line naming it.
 */
#include <string.h>
#include "init.h"

int ndeps;   /* slots with X_NEEDS */
int nheld;   /* slots with X_HELD */

/* Copy the next name of a needs list into name; NULL at the end. */
static const char *next_name(const char *p, char name[NAMELEN + 1])
{
	if (!p || !*p)
		return NULL;
	size_t n = strcspn(p, " ");
	size_t k = n < NAMELEN ? n : NAMELEN;
	memcpy(name, p, k);
	name[k] = 0;
	return p + n + (p[n] == ' ');
}

/* Does d need the service called name? */
static int needs(const struct service *d, const char *name)
{
	char w[NAMELEN + 1];
	if (!(d->xflags & X_NEEDS) || (d->flags & F_LOGGER))
		return 0;
	for (const char *p = svc_text_of(d, T_NEEDS); (p = next_name(p, w));)
		if (!strcmp(w, name))
			return 1;
	return 0;
}

static int up_and_ready(const struct service *s)
{
	return s && s->state == S_UP && (s->flags & F_READY);
}

/* ---- cycles: depth-first over the needs lists known so far ---- */

static int16_t mark[MAXSLOT];   /* 0 not seen, 1 + its index in path[] while on the path, -1 done */
static int16_t path[MAXSLOT];
static int depth;

/* The index in path[] where a cycle through u starts, or -1. */
static int find_cycle(struct service *u)
{
	int i = (int)(u - svc);
	char w[NAMELEN + 1];
	path[depth++] = (int16_t)i;
	mark[i] = (int16_t)depth;
	for (const char *p = svc_text_of(u, T_NEEDS); (p = next_name(p, w));) {
		struct service *v = svc_find(w);
		if (!v || !(v->xflags & X_NEEDS))
			continue;
		int j = (int)(v - svc);
		if (mark[j] > 0)
			return mark[j] - 1;
		if (mark[j] == 0) {
			int r = find_cycle(v);
			if (r >= 0)
				return r;
		}
	}
	mark[i] = -1;
	depth--;
	return -1;
}

/* "cycle a -> b -> a" (cut to fit); every member fatal. */
static void cycle(struct service *s, int from)
{
	char msg[2 * TEXT_MAX];
	char *p = stpcpy(msg, "cycle "), *end = msg + sizeof msg - NAMELEN - 8;
	for (int k = from; k <= depth; k++) {
		const char *name = svc[path[k < depth ? k : from]].name;
		if (p > end) {
			p = stpcpy(p, " ...");
			break;
		}
		p = stpcpy(stpcpy(p, k > from ? " -> " : ""), name);
	}
	svc_fail(s, "needs", msg);
	for (int k = from; k < depth; k++) {
		struct service *m = &svc[path[k]];
		if (m != s)
			svc_error(m, "needs", msg);
		if (m->pid <= 0)
			svc_config_fatal(m);
	}
}

/* ---- start ---- */

/* Want a need up: it starts now if it is down; one in backoff or fatal
 * is left to its own course (`svctl up` on it clears that). */
static void pull(struct service *d)
{
	if (d->flags & F_GONE)
		return;
	d->want = 1;
	d->xflags |= X_PULLED;
	if (d->state == S_DOWN)
		svc_wake(d);
	svc_dirty(d);
}

/* svc_start() of a service with needs, its config read: 1 go on, 0 it
 * waits (WAITING, needs wanted up), -1 it is in a cycle (fatal). */
int deps_start(struct service *s)
{
	char w[NAMELEN + 1];
	int ready = 1;
	memset(mark, 0, (size_t)nslot * sizeof mark[0]);
	depth = 0;
	int from = find_cycle(s);
	if (from >= 0) {
		cycle(s, from);
		return -1;
	}
	for (const char *p = svc_text_of(s, T_NEEDS); (p = next_name(p, w));) {
		struct service *d = svc_find(w);
		if (up_and_ready(d))
			continue;
		ready = 0;
		if (d && d != s)
			pull(d);
	}
	return ready;
}

/* The services that need s, and what is done to each:
 *   D_WAITING  counted if waiting for their needs
 *   D_WAKE     woken if waiting, to try again
 *   D_RUNNING  counted if they have a process (run or finish)
 *   D_DOWN     `svctl down`, if wanted up or up (each once per cascade) */
enum { D_WAITING, D_WAKE, D_RUNNING, D_DOWN };
static int dependents(const struct service *s, int what)
{
	int n = 0;
	for (int i = 0; i < nslot && ndeps; i++) {
		struct service *d = &svc[i];
		if (!needs(d, s->name))
			continue;
		if (what == D_RUNNING)
			n += d->pid > 0;
		else if (what != D_DOWN)
			n += d->state == S_WAITING;
		if (what == D_WAKE && d->state == S_WAITING)
			svc_wake(d);
		if (what == D_DOWN && !(d->xflags & X_DOWNING) && !(d->flags & F_GONE) &&
		    (d->want || d->state == S_UP || d->state == S_STARTING))
			svc_command(d, "down");
	}
	return n;
}

/* Is s (first seen, with a `down` file) needed by a service waiting? */
int deps_needed(const struct service *s)
{
	return dependents(s, D_WAITING) > 0;
}

/* s is up and ready: its waiting dependents try again. */
void deps_up(const struct service *s)
{
	dependents(s, D_WAKE);
}

/* ---- stop ---- */

/* s is to be stopped: 1 if it must wait for its dependents (held). */
int deps_hold(struct service *s)
{
	if ((s->flags & F_LOGGER) || !dependents(s, D_RUNNING))
		return 0;
	nheld += !(s->xflags & X_HELD);
	s->xflags |= X_HELD;
	svc_dirty(s);
	return 1;
}

/* `svctl down NAME`: the services that need NAME go down first, those
 * wanted up and those running once (X_DOWNING: each once per cascade). */
void deps_down(struct service *s)
{
	s->xflags |= X_DOWNING;
	dependents(s, D_DOWN);
	s->xflags &= (uint8_t)~X_DOWNING;
}

/* A dependent has no process left: stop what it held. */
void deps_release(void)
{
	for (int i = 0; i < nslot && nheld; i++) {
		struct service *h = &svc[i];
		if (!(h->xflags & X_HELD) || dependents(h, D_RUNNING))
			continue;
		h->xflags &= (uint8_t)~X_HELD;
		nheld--;
		svc_dirty(h);
		if (!h->want)
			svc_stop(h);
	}
}
