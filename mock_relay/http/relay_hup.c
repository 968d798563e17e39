/*
 * relay_hup.c - the half-close watcher (SPEC.md §1.9.4; see relay_hup.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay_hup.h"

#define HUP_EVENTS   64
#define HUP_STOP     UINT64_MAX /* the epoll data of the stop eventfd */
#define HUP_RETRY_MS 5          /* bytes not yet read by libmicrohttpd: look again this soon */
#define HUP_RETRIES  400        /* ... this many times (2 s), then shut the read side anyway */

struct hup_entry {
	int fd;       /* -1 when free */
	uint32_t gen; /* bumped on each reuse: a stale event names an older generation */
};

struct hup_watch {
	pthread_mutex_t lock; /* entries, free list */
	struct hup_entry *entries;
	int *free_list; /* stack of free entry indexes */
	size_t n_free, max;
	int epfd, stopfd;
	pthread_t thread;
	/* the watcher thread's own: half-closed sockets whose last bytes are still unread */
	uint64_t *waiting;
	size_t n_waiting;
	int tries;
};

static uint64_t tag(uint32_t idx, uint32_t gen)
{
	return (uint64_t)gen << 32 | idx;
}

/*
 * The peer half-closed the socket of entry `data`. Once libmicrohttpd has read the
 * bytes that came before the FIN (none left in the socket: reading them clears its
 * edge), shut the read side: that wakes its epoll again and it reads the end of
 * stream. Returns false when the bytes are still unread (try again soon).
 */
static bool on_rdhup(struct hup_watch *w, uint64_t data, bool force)
{
	uint32_t idx = (uint32_t)(data & 0xffffffffu), gen = (uint32_t)(data >> 32);
	struct hup_entry *e;
	bool done = true;
	int unread = 0;

	pthread_mutex_lock(&w->lock);
	if (idx < w->max) {
		e = &w->entries[idx];
		if (e->fd >= 0 && e->gen == gen) {
			if (!force && ioctl(e->fd, FIONREAD, &unread) == 0 && unread > 0)
				done = false;
			else
				(void)shutdown(e->fd, SHUT_RD);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return done;
}

/*
 * Looks again at the sockets whose bytes were unread; keeps those still unread.
 * tick: HUP_RETRY_MS went by without an event (the retries are counted in those).
 */
static void retry_waiting(struct hup_watch *w, bool tick)
{
	size_t i, kept = 0;
	bool force = tick && ++w->tries >= HUP_RETRIES;

	for (i = 0; i < w->n_waiting; i++) {
		if (!on_rdhup(w, w->waiting[i], force))
			w->waiting[kept++] = w->waiting[i];
	}
	w->n_waiting = kept;
	if (kept == 0)
		w->tries = 0;
}

static void *hup_main(void *arg)
{
	struct hup_watch *w = arg;
	struct epoll_event ev[HUP_EVENTS];
	int i, n;

	for (;;) {
		n = epoll_wait(w->epfd, ev, HUP_EVENTS, w->n_waiting > 0 ? HUP_RETRY_MS : -1);
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == HUP_STOP)
				return NULL;
			if (!on_rdhup(w, ev[i].data.u64, false) && w->n_waiting < w->max)
				w->waiting[w->n_waiting++] = ev[i].data.u64;
		}
		if (w->n_waiting > 0)
			retry_waiting(w, n <= 0);
	}
}

struct hup_watch *hup_watch_new(size_t max)
{
	struct hup_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = {0};
	size_t i;

	if (w == NULL)
		return NULL;
	w->epfd = -1;
	w->stopfd = -1;
	w->max = max;
	w->entries = calloc(max, sizeof(*w->entries));
	w->free_list = calloc(max, sizeof(*w->free_list));
	w->waiting = calloc(max, sizeof(*w->waiting));
	if (w->entries == NULL || w->free_list == NULL || w->waiting == NULL || max > INT32_MAX)
		goto fail;
	for (i = 0; i < max; i++) {
		w->entries[i].fd = -1;
		w->free_list[i] = (int)(max - 1 - i);
	}
	w->n_free = max;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || w->stopfd < 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.u64 = HUP_STOP;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stopfd, &ev) != 0)
		goto fail;
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		goto fail;
	if (pthread_create(&w->thread, NULL, hup_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;
fail:
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->stopfd >= 0)
		close(w->stopfd);
	free(w->entries);
	free(w->free_list);
	free(w->waiting);
	free(w);
	return NULL;
}

void hup_watch_free(struct hup_watch *w)
{
	uint64_t one = 1;

	if (w == NULL)
		return;
	if (write(w->stopfd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		(void)pthread_cancel(w->thread); /* cannot happen with an eventfd */
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	close(w->epfd);
	close(w->stopfd);
	free(w->entries);
	free(w->free_list);
	free(w->waiting);
	free(w);
}

int hup_watch_add(struct hup_watch *w, int fd)
{
	struct epoll_event ev = {0};
	struct hup_entry *e;
	int idx = -1;

	if (w == NULL || fd < 0)
		return -1;
	pthread_mutex_lock(&w->lock);
	if (w->n_free > 0) {
		idx = w->free_list[--w->n_free];
		e = &w->entries[idx];
		e->fd = fd;
		e->gen++;
		/* one event is all it takes: the read side is shut after it */
		ev.events = EPOLLRDHUP | EPOLLONESHOT;
		ev.data.u64 = tag((uint32_t)idx, e->gen);
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			e->fd = -1;
			w->free_list[w->n_free++] = idx;
			idx = -1;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return idx;
}

void hup_watch_remove(struct hup_watch *w, int entry)
{
	struct hup_entry *e;

	if (w == NULL || entry < 0 || (size_t)entry >= w->max)
		return;
	pthread_mutex_lock(&w->lock);
	e = &w->entries[entry];
	if (e->fd >= 0) {
		(void)epoll_ctl(w->epfd, EPOLL_CTL_DEL, e->fd, NULL);
		e->fd = -1;
		w->free_list[w->n_free++] = entry;
	}
	pthread_mutex_unlock(&w->lock);
}
