/*
 * relay_hup.h - closes half-closed HTTP connections at once (SPEC.md §1.9.4).
 *
 * libmicrohttpd 0.9.75 in epoll mode is edge-triggered: when a client's last bytes and
 * its FIN arrive together, it reads the bytes and never sees the end of stream, so a
 * half-closed connection with an incomplete request was held until the 30 s timeout.
 * The watcher has its own epoll set of every connection's socket, waiting for
 * EPOLLRDHUP only. When a client half-closes, it shuts the socket's read side
 * (shutdown(SHUT_RD)): nothing more can arrive anyway, the bytes already received stay
 * readable, the write side stays open for an answer, and the state change wakes
 * libmicrohttpd's own epoll, which then reads the end of stream: an incomplete request
 * is closed, a complete one is answered first.
 *
 * Entries are removed when libmicrohttpd reports the connection closed, before it
 * closes the socket, under the same lock the watcher holds to act: a socket number is
 * never acted on after it could have been reused.
 */
#ifndef RELAY_HUP_H
#define RELAY_HUP_H

#include <stddef.h>

struct hup_watch;

/*
 * Starts the watcher thread for up to max sockets. NULL when it cannot (no memory, no
 * epoll, no thread): callers then pass NULL to the functions below, which do nothing.
 * Free with hup_watch_free().
 */
struct hup_watch *hup_watch_new(size_t max);

/* Stops the thread and frees w. Every socket must have been removed. NULL is a no-op. */
void hup_watch_free(struct hup_watch *w);

/* Watches fd; returns its entry (>= 0), or -1 when w is NULL or full. */
int hup_watch_add(struct hup_watch *w, int fd);

/* Stops watching the entry returned by hup_watch_add(); -1 is a no-op. */
void hup_watch_remove(struct hup_watch *w, int entry);

#endif
