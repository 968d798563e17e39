/*
 * relay_statedb.c - durable state in SQLite (see relay_statedb.h, SPEC.md §14).
 *
 * Locking: db->mu guards the queue and the counters; it is a leaf lock (taken with
 * a store's lock held, never the other way round). The SQLite connection is used
 * by one thread at a time: the thread calling statedb_open/statedb_load before the
 * writer starts, then only the writer thread, then statedb_close after it stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "conv_store.h"
#include "operator_store.h"
#include "relay_callbacks.h"
#include "relay_lifecycle.h"
#include "relay_state.h"
#include "relay_statedb.h"
#include "session_store.h"
#include "tenant_store.h"

enum op_type { OP_PUT, OP_DEL, OP_CLEAR };

/* One queued row: the strings live in text[] after the struct. */
struct op {
	struct op *next;
	enum op_type type;
	const char *kind, *id, *tenant, *parent; /* into text[], tenant/parent may be NULL */
	int64_t at_ms;
	char *body; /* owned JSON text (OP_PUT) */
	char text[];
};

struct statedb {
	sqlite3 *db;
	sqlite3_stmt *put, *del, *clear;
	int fd; /* holds the flock for the process lifetime */

	pthread_mutex_t mu;
	pthread_cond_t work; /* writer: the queue is not empty, or stop */
	pthread_cond_t done; /* syncers: done_ticket moved; enqueuers: room in the queue */
	struct op *head, *tail;
	size_t queued;
	uint64_t next_ticket;   /* ticket of the last queued op */
	uint64_t done_ticket;   /* every op up to this ticket was handled */
	uint64_t ok_ticket;     /* every op up to this ticket is committed */
	bool failed;            /* a commit failed: every later write fails (§14.2) */
	uint64_t rows, commits; /* committed so far (printed at close) */
	bool stop;
	pthread_t writer;
	bool writer_started;
};

/* The thread's own writes since its last statedb_sync(). */
static _Thread_local struct statedb *tl_db;
static _Thread_local uint64_t tl_ticket;
static _Thread_local bool tl_failed;

/* ---- schema --------------------------------------------------------------- */

/*
 * Version 1: the entity table alone. Version 2 adds the index by tenant and the meta
 * table that keeps the visitor-token signing key (§14.3).
 */
static const char schema_v1[] =
	"CREATE TABLE entity(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,"
	" tenant TEXT, parent TEXT, at_ms INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL,"
	" UNIQUE(kind, id));";

static const char migrate_v1_v2[] = "CREATE INDEX entity_tenant ON entity(tenant, kind);"
				    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);";

static void set_err(char *err, size_t size, const char *fmt, const char *a, const char *b)
{
	snprintf(err, size, fmt, a, b != NULL ? b : "");
}

/* One integer from a single-value query; 0 on success. */
static int query_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs sql (several statements) in one transaction; SQLite's rc. */
static int exec_tx(sqlite3 *db, const char *sql)
{
	int rc;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Checks the file's identity and version, then creates or migrates the schema.
 * Nothing is written before the checks pass. *exit_code set on failure.
 */
static int check_and_upgrade(struct statedb *s, const char *path, char *err, size_t err_size,
			     int *exit_code)
{
	long long app = 0, version = 0, objects = 0;
	char sql[512], num[32];
	const char *mode;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = query_int(s->db, "PRAGMA application_id", &app);
	if (rc == SQLITE_OK)
		rc = query_int(s->db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int(s->db, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc == SQLITE_NOTADB) {
		set_err(err, err_size,
			"%s is not a mock-relay state file (not an SQLite database)%s", path, NULL);
		*exit_code = STATEDB_EXIT_REFUSED;
		return -1;
	}
	if (rc != SQLITE_OK) {
		set_err(err, err_size, "cannot read %s: %s", path, sqlite3_errstr(rc));
		*exit_code = STATEDB_EXIT_IO;
		return -1;
	}
	if (app == 0 && version == 0 && objects == 0) {
		version = 0; /* a new (empty) file */
	} else if (app != STATEDB_APP_ID) {
		snprintf(num, sizeof(num), "0x%08llx", (unsigned long long)app & 0xffffffffULL);
		set_err(err, err_size,
			"%s is not a mock-relay state file (SQLite application_id %s); left "
			"untouched",
			path, num);
		*exit_code = STATEDB_EXIT_REFUSED;
		return -1;
	} else if (version > STATEDB_SCHEMA_VERSION || version < 1) {
		snprintf(num, sizeof(num), "%lld", version);
		set_err(err, err_size,
			"%s has state schema version %s; this mock-relay reads versions 1-"
			"2 only (a newer mock-relay wrote it?); left untouched",
			path, num);
		*exit_code = STATEDB_EXIT_REFUSED;
		return -1;
	}

	/* The file is ours (or new): WAL, and commits durable against a process crash. */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		mode = (const char *)sqlite3_column_text(st, 0);
		rc = mode != NULL && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_ERROR;
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_errcode(s->db);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, err_size, "cannot put %s in WAL mode: %s", path,
			sqlite3_errmsg(s->db));
		*exit_code = STATEDB_EXIT_IO;
		return -1;
	}
	if (version == 0) {
		snprintf(sql, sizeof(sql), "%s%sPRAGMA application_id=%d;PRAGMA user_version=%d;",
			 schema_v1, migrate_v1_v2, STATEDB_APP_ID, STATEDB_SCHEMA_VERSION);
		rc = exec_tx(s->db, sql);
	} else if (version == 1) {
		snprintf(sql, sizeof(sql), "%sPRAGMA user_version=%d;", migrate_v1_v2,
			 STATEDB_SCHEMA_VERSION);
		rc = exec_tx(s->db, sql);
		if (rc == SQLITE_OK)
			fprintf(stderr,
				"mock-relay: state %s migrated from schema version 1 to %d\n", path,
				STATEDB_SCHEMA_VERSION);
	}
	if (rc != SQLITE_OK) {
		set_err(err, err_size, "cannot write the schema of %s: %s", path,
			sqlite3_errmsg(s->db));
		*exit_code = STATEDB_EXIT_IO;
		return -1;
	}
	return 0;
}

static void *writer_main(void *arg);

struct statedb *statedb_open(const char *path, char *err, size_t err_size, int *exit_code)
{
	struct statedb *s = NULL;
	struct stat sb;
	int rc;

	*exit_code = STATEDB_EXIT_IO;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	s->fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);

	/* 0600: the file holds tenant secrets. */
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		set_err(err, err_size, "cannot open state file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(s->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		set_err(err, err_size, "state file %s is not a regular file%s", path, NULL);
		goto fail;
	}
	if (flock(s->fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			set_err(err, err_size,
				"state file %s is in use by another mock-relay (locked)%s", path,
				NULL);
			*exit_code = STATEDB_EXIT_LOCKED;
		} else {
			set_err(err, err_size, "cannot lock state file %s: %s", path,
				strerror(errno));
		}
		goto fail;
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, err_size, "cannot open state file %s: %s", path, sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (check_and_upgrade(s, path, err, err_size, exit_code) != 0)
		goto fail;
	rc = sqlite3_prepare_v3(s->db,
				"INSERT INTO entity(kind, id, tenant, parent, at_ms, body) "
				"VALUES(?1,?2,?3,?4,?5,?6)"
				" ON CONFLICT(kind, id) DO UPDATE SET tenant=excluded.tenant,"
				" parent=excluded.parent, body=excluded.body",
				-1, SQLITE_PREPARE_PERSISTENT, &s->put, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->db, "DELETE FROM entity WHERE kind=?1 AND id=?2", -1,
					SQLITE_PREPARE_PERSISTENT, &s->del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->db, "DELETE FROM entity", -1, SQLITE_PREPARE_PERSISTENT,
					&s->clear, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, err_size, "cannot prepare statements on %s: %s", path,
			sqlite3_errmsg(s->db));
		goto fail;
	}
	*exit_code = 0;
	return s;
fail:
	statedb_close(s);
	return NULL;
}

static void op_free(struct op *o)
{
	if (o == NULL)
		return;
	if (o->body != NULL) /* a tenant's record holds its secret */
		OPENSSL_cleanse(o->body, strlen(o->body));
	free(o->body);
	free(o);
}

void statedb_close(struct statedb *s)
{
	struct op *o, *next;

	if (s == NULL)
		return;
	if (s->writer_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
		fprintf(stderr,
			"mock-relay: state closed: %llu rows written in %llu transactions\n",
			(unsigned long long)s->rows, (unsigned long long)s->commits);
	}
	for (o = s->head; o != NULL; o = next) {
		next = o->next;
		op_free(o);
	}
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->clear);
	if (s->db != NULL)
		sqlite3_close(s->db); /* the last connection: checkpoints and removes the WAL */
	if (s->fd >= 0)
		close(s->fd); /* releases the flock */
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ---- loading ------------------------------------------------------------------ */

/* The visitor-token key: the file's, or st's own stored now. 0 on success. */
static int load_token_key(struct statedb *s, struct relay_state *st)
{
	sqlite3_stmt *q = NULL;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key='token_key'", -1, &q,
				NULL);
	if (rc != SQLITE_OK)
		goto out;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 0) == (int)sizeof(st->token_key)) {
		memcpy(st->token_key, sqlite3_column_blob(q, 0), sizeof(st->token_key));
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto out;
	sqlite3_finalize(q);
	q = NULL;
	rc = sqlite3_prepare_v2(s->db,
				"INSERT OR REPLACE INTO meta(key, value) VALUES('token_key', ?1)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(q, 1, st->token_key, (int)sizeof(st->token_key), SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_DONE)
		ret = 0;
out:
	sqlite3_finalize(q);
	return ret;
}

static const char *col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

/* One row into its store. */
static enum relay_rc load_row(struct relay_state *st, sqlite3_stmt *q)
{
	const char *kind = col_text(q, 0), *tenant = col_text(q, 2), *parent = col_text(q, 3);
	const char *body = col_text(q, 5);
	int64_t at_ms = sqlite3_column_int64(q, 4);
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	json_t *obj;

	if (kind == NULL || body == NULL)
		return rc;
	obj = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(obj))
		goto out;
	if (strcmp(kind, STATEDB_TENANT) == 0)
		rc = tenant_store_load(st->store, obj);
	else if (strcmp(kind, STATEDB_CONVERSATION) == 0 && tenant != NULL)
		rc = conv_store_load(st->conversations, tenant, at_ms, obj);
	else if (strcmp(kind, STATEDB_MESSAGE) == 0 && tenant != NULL && parent != NULL)
		rc = conv_store_load_message(st->conversations, tenant, parent, at_ms, obj);
	else if (strcmp(kind, STATEDB_OPERATOR) == 0 && tenant != NULL)
		rc = operator_store_load(st->operators, tenant, at_ms, obj);
	else if (strcmp(kind, STATEDB_SESSION) == 0)
		rc = session_store_load(st->sessions, obj);
	else if (strcmp(kind, STATEDB_CALLBACK) == 0)
		rc = callbacks_load(st->callbacks, obj);
	else if (strcmp(kind, STATEDB_TRIGGER) == 0)
		rc = lifecycle_load(st->lifecycle, obj);
out:
	json_decref(obj);
	return rc;
}

enum relay_rc statedb_load(struct statedb *s, struct relay_state *st, char *err, size_t err_size)
{
	sqlite3_stmt *q = NULL;
	size_t loaded = 0, skipped = 0;
	enum relay_rc ret = RELAY_E_IO;
	int rc;

	if (load_token_key(s, st) != 0) {
		set_err(err, err_size, "cannot read the token key: %s%s", sqlite3_errmsg(s->db),
			NULL);
		goto out;
	}
	rc = sqlite3_prepare_v2(
		s->db, "SELECT kind, id, tenant, parent, at_ms, body FROM entity ORDER BY seq", -1,
		&q, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, err_size, "cannot read the state: %s%s", sqlite3_errmsg(s->db), NULL);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (load_row(st, q) == RELAY_OK)
			loaded++;
		else
			skipped++;
	}
	if (rc != SQLITE_DONE) {
		set_err(err, err_size, "cannot read the state: %s%s", sqlite3_errmsg(s->db), NULL);
		goto out;
	}
	fprintf(stderr, "mock-relay: state loaded: %zu tenants, %zu rows",
		tenant_store_count(st->store), loaded);
	if (skipped > 0)
		fprintf(stderr, " (%zu unreadable or over a cap, skipped)", skipped);
	fprintf(stderr, "\n");
	ret = RELAY_OK;
out:
	sqlite3_finalize(q);
	return ret;
}

void statedb_attach(struct statedb *s, struct relay_state *st)
{
	bool started;

	/* The writer first: from the first pointer set below, rows may be queued. */
	started = pthread_create(&s->writer, NULL, writer_main, s) == 0;
	pthread_mutex_lock(&s->mu);
	s->writer_started = started;
	if (!started)
		s->failed = true; /* nothing could ever be committed: every write is refused */
	pthread_mutex_unlock(&s->mu);
	st->statedb = s;
	tenant_store_set_statedb(st->store, s);
	conv_store_set_statedb(st->conversations, s);
	operator_store_set_statedb(st->operators, s);
	session_store_set_statedb(st->sessions, s);
	callbacks_set_statedb(st->callbacks, s);
	lifecycle_set_statedb(st->lifecycle, s);
}

/* ---- the write path ------------------------------------------------------- */

/* Queues o (or remembers the failure when o is NULL). */
static void enqueue(struct statedb *s, struct op *o)
{
	uint64_t ticket;

	if (o == NULL) {
		tl_failed = true;
		return;
	}
	pthread_mutex_lock(&s->mu);
	while (s->queued >= STATEDB_QUEUE_MAX && !s->failed && s->writer_started)
		pthread_cond_wait(&s->done, &s->mu);
	if (s->failed || !s->writer_started) {
		pthread_mutex_unlock(&s->mu);
		tl_failed = true;
		op_free(o);
		return;
	}
	o->next = NULL;
	if (s->tail != NULL)
		s->tail->next = o;
	else
		s->head = o;
	s->tail = o;
	s->queued++;
	ticket = ++s->next_ticket;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
	tl_db = s;
	tl_ticket = ticket;
}

static struct op *op_new(enum op_type type, const char *kind, const char *id, const char *tenant,
			 const char *parent)
{
	size_t lk = strlen(kind) + 1, li = id != NULL ? strlen(id) + 1 : 0;
	size_t lt = tenant != NULL ? strlen(tenant) + 1 : 0;
	size_t lp = parent != NULL ? strlen(parent) + 1 : 0;
	struct op *o = calloc(1, sizeof(*o) + lk + li + lt + lp);
	char *p;

	if (o == NULL)
		return NULL;
	o->type = type;
	p = o->text;
	memcpy(p, kind, lk);
	o->kind = p;
	p += lk;
	if (id != NULL) {
		memcpy(p, id, li);
		o->id = p;
		p += li;
	}
	if (tenant != NULL) {
		memcpy(p, tenant, lt);
		o->tenant = p;
		p += lt;
	}
	if (parent != NULL) {
		memcpy(p, parent, lp);
		o->parent = p;
	}
	return o;
}

void statedb_put(struct statedb *s, const char *kind, const char *id, const char *tenant,
		 const char *parent, int64_t at_ms, char *body)
{
	struct op *o = NULL;

	if (s == NULL) {
		free(body);
		return;
	}
	if (body != NULL && kind != NULL && id != NULL)
		o = op_new(OP_PUT, kind, id, tenant, parent);
	if (o != NULL) {
		o->at_ms = at_ms;
		o->body = body;
	} else {
		free(body);
	}
	enqueue(s, o);
}

void statedb_del(struct statedb *s, const char *kind, const char *id)
{
	if (s == NULL)
		return;
	enqueue(s, kind != NULL && id != NULL ? op_new(OP_DEL, kind, id, NULL, NULL) : NULL);
}

void statedb_clear(struct statedb *s)
{
	if (s == NULL)
		return;
	enqueue(s, op_new(OP_CLEAR, "", NULL, NULL, NULL));
}

enum relay_rc statedb_sync(void)
{
	struct statedb *s = tl_db;
	uint64_t ticket = tl_ticket;
	bool failed = tl_failed;

	tl_ticket = 0;
	tl_failed = false;
	if (s == NULL || ticket == 0)
		return failed ? RELAY_E_STATE_UNAVAILABLE : RELAY_OK;
	pthread_mutex_lock(&s->mu);
	while (s->done_ticket < ticket)
		pthread_cond_wait(&s->done, &s->mu);
	if (s->ok_ticket < ticket)
		failed = true;
	pthread_mutex_unlock(&s->mu);
	return failed ? RELAY_E_STATE_UNAVAILABLE : RELAY_OK;
}

/* Binds text or NULL. */
static int bind_text(sqlite3_stmt *q, int i, const char *v)
{
	return v != NULL ? sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

/* Executes one op inside the open transaction; SQLite's rc. */
static int apply_op(struct statedb *s, const struct op *o)
{
	sqlite3_stmt *q;
	int rc;

	switch (o->type) {
	case OP_PUT:
		q = s->put;
		rc = bind_text(q, 1, o->kind);
		if (rc == SQLITE_OK)
			rc = bind_text(q, 2, o->id);
		if (rc == SQLITE_OK)
			rc = bind_text(q, 3, o->tenant);
		if (rc == SQLITE_OK)
			rc = bind_text(q, 4, o->parent);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 5, o->at_ms);
		if (rc == SQLITE_OK)
			rc = bind_text(q, 6, o->body);
		break;
	case OP_DEL:
		q = s->del;
		rc = bind_text(q, 1, o->kind);
		if (rc == SQLITE_OK)
			rc = bind_text(q, 2, o->id);
		break;
	default:
		q = s->clear;
		rc = SQLITE_OK;
		break;
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

/* Commits the batch [first, ...) in one transaction; SQLite's rc. */
static int commit_batch(struct statedb *s, const struct op *first)
{
	const struct op *o;
	int rc;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (o = first; rc == SQLITE_OK && o != NULL; o = o->next)
		rc = apply_op(s, o);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* The writer: takes up to STATEDB_BATCH_MAX queued ops and commits them at once. */
static void *writer_main(void *arg)
{
	struct statedb *s = arg;
	struct op *batch, *last, *o, *next;
	uint64_t ticket;
	size_t n;
	bool failed;
	int rc;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->head == NULL && !s->stop)
			pthread_cond_wait(&s->work, &s->mu);
		if (s->head == NULL)
			break; /* stop, and nothing left to write */
		batch = s->head;
		last = batch;
		for (n = 1; n < STATEDB_BATCH_MAX && last->next != NULL; n++)
			last = last->next;
		s->head = last->next;
		if (s->head == NULL)
			s->tail = NULL;
		last->next = NULL;
		s->queued -= n;
		/* Tickets are consecutive: the batch ends at the ticket of its last op. */
		ticket = s->next_ticket - (uint64_t)s->queued;
		failed = s->failed;
		pthread_mutex_unlock(&s->mu);

		rc = failed ? SQLITE_ERROR : commit_batch(s, batch);
		if (rc != SQLITE_OK && !failed)
			fprintf(stderr,
				"mock-relay: state write failed (%s): every write is refused from "
				"now on (503 state_unavailable); restart to recover\n",
				sqlite3_errstr(rc));
		for (o = batch; o != NULL; o = next) {
			next = o->next;
			op_free(o);
		}

		pthread_mutex_lock(&s->mu);
		if (rc == SQLITE_OK) {
			s->ok_ticket = ticket;
			s->rows += n;
			s->commits++;
		} else {
			s->failed = true;
		}
		s->done_ticket = ticket;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}
