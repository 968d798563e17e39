/*
 * relay_log.c - request log lines (see relay_log.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "relay_clock.h"
#include "relay_ids.h"
#include "relay_log.h"

_Static_assert(LOG_LINE_MAX <= LOG_BUF_MAX, "a buffer holds at least one line");

/*
 * One thread's pending lines. Buffers are never freed: a thread that exits gives
 * its buffer back (in_use false) for the next thread that logs, so there are as
 * many as threads ever logged at once, and a pointer to one never dangles.
 */
struct log_buf {
	pthread_mutex_t mu;    /* the owner; log_flush() and the flusher briefly */
	atomic_size_t pending; /* len, read without the lock to skip empty buffers */
	atomic_bool in_use;    /* held by a live thread */
	size_t len;
	char data[LOG_BUF_MAX]; /* whole lines only */
	struct log_buf *next;   /* the registry: pushed at the head, never unlinked */
};

static _Atomic(struct log_buf *) registry;
static _Thread_local struct log_buf *mine;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static bool key_ok;
static atomic_bool buffering; /* between log_start() and log_stop() */

static pthread_mutex_t flusher_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flusher_cv;
static pthread_t flusher;
static bool flusher_running, flusher_stop;

/* Writes data[0..len) to stderr; a short write is continued, not interleaved. */
static void write_all(const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void flush_locked(struct log_buf *b)
{
	if (b->len == 0)
		return;
	write_all(b->data, b->len);
	b->len = 0;
	atomic_store_explicit(&b->pending, 0, memory_order_relaxed);
}

/* pthread key destructor: a thread's lines go out when it exits; its buffer is freed up. */
static void on_thread_exit(void *p)
{
	struct log_buf *b = p;

	pthread_mutex_lock(&b->mu);
	flush_locked(b);
	pthread_mutex_unlock(&b->mu);
	atomic_store(&b->in_use, false);
}

static void key_init(void)
{
	key_ok = pthread_key_create(&exit_key, on_thread_exit) == 0;
}

/* This thread's buffer: a free one from the registry, or a new one. NULL: none. */
static struct log_buf *this_buf(void)
{
	struct log_buf *b;
	bool expected;

	if (mine != NULL)
		return mine;
	if (pthread_once(&key_once, key_init) != 0 || !key_ok)
		return NULL;
	for (b = atomic_load(&registry); b != NULL; b = b->next) {
		expected = false;
		if (atomic_compare_exchange_strong(&b->in_use, &expected, true))
			break;
	}
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return NULL;
		if (pthread_mutex_init(&b->mu, NULL) != 0) {
			free(b);
			return NULL;
		}
		atomic_init(&b->pending, 0);
		atomic_init(&b->in_use, true);
		b->next = atomic_load(&registry);
		while (!atomic_compare_exchange_weak(&registry, &b->next, b))
			;
	}
	if (pthread_setspecific(exit_key, b) != 0) {
		atomic_store(&b->in_use, false);
		return NULL;
	}
	mine = b;
	return b;
}

void log_flush(void)
{
	struct log_buf *b;

	for (b = atomic_load(&registry); b != NULL; b = b->next) {
		if (atomic_load_explicit(&b->pending, memory_order_relaxed) == 0)
			continue;
		pthread_mutex_lock(&b->mu);
		flush_locked(b);
		pthread_mutex_unlock(&b->mu);
	}
}

/* The flusher: every LOG_FLUSH_MS, whatever waits in a buffer goes out. */
static void *flusher_main(void *arg)
{
	struct timespec until;
	bool stop;

	(void)arg;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)LOG_FLUSH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
		}
		pthread_mutex_lock(&flusher_mu);
		while (!flusher_stop &&
		       pthread_cond_timedwait(&flusher_cv, &flusher_mu, &until) != ETIMEDOUT)
			;
		stop = flusher_stop;
		pthread_mutex_unlock(&flusher_mu);
		if (stop)
			return NULL;
		log_flush();
	}
}

bool log_start(void)
{
	pthread_condattr_t attr;
	bool ok = false;

	pthread_mutex_lock(&flusher_mu);
	if (flusher_running) {
		ok = true;
		goto out;
	}
	if (pthread_condattr_init(&attr) != 0)
		goto out;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&flusher_cv, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		goto out;
	}
	pthread_condattr_destroy(&attr);
	flusher_stop = false;
	if (pthread_create(&flusher, NULL, flusher_main, NULL) != 0) {
		pthread_cond_destroy(&flusher_cv);
		goto out;
	}
	flusher_running = true;
	atomic_store(&buffering, true);
	ok = true;
out:
	pthread_mutex_unlock(&flusher_mu);
	return ok;
}

void log_stop(void)
{
	bool join;

	atomic_store(&buffering, false);
	pthread_mutex_lock(&flusher_mu);
	join = flusher_running;
	flusher_stop = true;
	if (join)
		pthread_cond_signal(&flusher_cv);
	pthread_mutex_unlock(&flusher_mu);
	if (join) {
		pthread_join(flusher, NULL);
		pthread_cond_destroy(&flusher_cv);
		flusher_running = false;
	}
	log_flush();
}

/*
 * The RFC 3339 text of the real clock's current second: strftime/gmtime once a
 * second per thread instead of once a line.
 */
static const char *now_rfc3339(void)
{
	static _Thread_local int64_t cached_s = -1;
	static _Thread_local char cached[RFC3339_LEN + 1];
	int64_t ms = relay_clock_real_ms();
	int64_t s = ms >= 0 ? ms / 1000 : -1;

	if (s < 0 || s != cached_s) {
		ids_rfc3339(ms, cached);
		cached_s = s;
	}
	return cached;
}

/* A line being built in a fixed buffer; what does not fit is cut. */
struct line {
	char *p;
	size_t len, cap; /* cap leaves room for the final '\n' */
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void put_str(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* s with the bytes that would break a text line (controls, space, DEL) as '?'. */
static void put_clean(struct line *l, const char *s)
{
	for (; *s != '\0' && l->len < l->cap; s++)
		l->p[l->len++] = ((unsigned char)*s < 0x21 || *s == 0x7f) ? '?' : *s;
}

static void put_int(struct line *l, int64_t v)
{
	char buf[21], *d = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--d = '-';
	put(l, d, (size_t)(buf + sizeof(buf) - d));
}

/* The text line (format "text"), '\n' included; its length. */
static size_t text_line(const struct journal_entry *e, const char *now, char out[LOG_LINE_MAX])
{
	struct line l = {out, 0, LOG_LINE_MAX - 1};

	put_str(&l, now);
	put(&l, " ", 1);
	put_clean(&l, e->method);
	put(&l, " ", 1);
	put_clean(&l, e->path);
	put(&l, " ", 1);
	put_int(&l, e->status);
	put_str(&l, " tenant=");
	if (e->tenant_id[0] != '\0')
		put_clean(&l, e->tenant_id);
	else
		put(&l, "-", 1);
	put_str(&l, " error=");
	put_str(&l, e->error_code[0] != '\0' ? e->error_code : "-");
	put(&l, " ", 1);
	put_int(&l, e->duration_us);
	put_str(&l, "us");
	out[l.len++] = '\n';
	return l.len;
}

/* The JSON line, '\n' included; its length, 0 when it cannot be made. */
static size_t json_line(const struct journal_entry *e, const char *now, char out[LOG_LINE_MAX])
{
	char *json = NULL;
	json_t *obj;
	size_t n;

	obj = json_pack("{s:s, s:s, s:s, s:i, s:s?, s:s?, s:I}", "ts", now, "method", e->method,
			"path", e->path, "status", e->status, "tenant_id",
			e->tenant_id[0] != '\0' ? e->tenant_id : NULL, "error",
			e->error_code[0] != '\0' ? e->error_code : NULL, "duration_us",
			(json_int_t)e->duration_us);
	if (obj != NULL)
		json = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (json == NULL)
		return 0;
	n = strlen(json);
	if (n > LOG_LINE_MAX - 1)
		n = LOG_LINE_MAX - 1; /* cut: no longer JSON, but never more than a line */
	memcpy(out, json, n);
	out[n++] = '\n';
	free(json);
	return n;
}

void log_request(enum log_format format, const struct journal_entry *e)
{
	char line[LOG_LINE_MAX];
	struct log_buf *b;
	size_t n;

	if (format == LOG_FORMAT_JSON)
		n = json_line(e, now_rfc3339(), line);
	else
		n = text_line(e, now_rfc3339(), line);
	if (n == 0)
		return;
	b = atomic_load_explicit(&buffering, memory_order_relaxed) ? this_buf() : NULL;
	if (b == NULL) {
		write_all(line, n);
		return;
	}
	pthread_mutex_lock(&b->mu);
	if (b->len + n > sizeof(b->data))
		flush_locked(b);
	memcpy(b->data + b->len, line, n);
	b->len += n;
	atomic_store_explicit(&b->pending, b->len, memory_order_relaxed);
	pthread_mutex_unlock(&b->mu);
}
