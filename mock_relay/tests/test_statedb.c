/*
 * test_statedb.c - relay_statedb without HTTP (SPEC.md §14): a write is committed when
 * statedb_sync() says so and comes back on the next open; the file's identity, version
 * and lock are checked. The processes, kill -9 and restarts are in state_kill9.py and
 * state_files.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "conv_store.h"
#include "relay_lifecycle.h"
#include "relay_state_build.h"
#include "relay_statedb.h"
#include "tenant_store.h"

#define NOW_MS 1782036000000LL

static char dir[64];
static char path[128];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_statedb.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	return 0;
}

static int remove_dir(void **state)
{
	char p[160];

	(void)state;
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A state with the file at path opened, loaded and attached. */
static struct relay_state *open_state(void)
{
	struct relay_config cfg;
	struct relay_state *st;
	struct statedb *db;
	char err[256];
	int code = -1;

	relay_config_defaults(&cfg);
	st = relay_state_new(&cfg);
	assert_non_null(st);
	db = statedb_open(path, err, sizeof(err), &code);
	if (db == NULL)
		fail_msg("statedb_open: %s (%d)", err, code);
	assert_int_equal(code, 0);
	assert_int_equal(statedb_load(db, st, err, sizeof(err)), RELAY_OK);
	statedb_attach(db, st);
	return st;
}

static struct tenant_fields tenant(const char *name)
{
	static char *origins[] = {"https://a.example"};
	struct tenant_fields f;

	tenant_fields_init(&f);
	f.set = TF_NAME | TF_ORIGINS | TF_RATE | TF_PLAN;
	f.tenant_name = (char *)name;
	f.origins = origins;
	f.n_origins = 1;
	f.rate_limit_per_min = 60;
	f.plan_tier = (char *)"free";
	return f;
}

static void test_committed_writes_come_back(void **state)
{
	struct tenant_fields f = tenant("Kept");
	struct relay_state *st;
	struct tenant_auth auth;
	struct conv_fields cf = {"visitor-1", NULL, NULL, NULL, NULL, NULL};
	char tid[UUID_STR_LEN + 1], secret[KEY_STR_LEN + 1], cid[PREFIXED_ID_MAX + 1];
	unsigned char key[32];
	json_t *data = NULL, *conv = NULL, *page = NULL;

	(void)state;
	assert_int_equal(statedb_sync(), RELAY_OK); /* nothing queued */
	st = open_state();
	assert_int_equal(tenant_store_create(st->store, &f, NOW_MS, &data), RELAY_OK);
	snprintf(tid, sizeof(tid), "%s", json_string_value(json_object_get(data, "tenant_id")));
	json_decref(data);
	assert_int_equal(tenant_store_rotate_secret(st->store, tid, NOW_MS + 1, secret), RELAY_OK);
	assert_int_equal(conv_store_create(st->conversations, tid, &cf, NOW_MS, &conv, cid),
			 RELAY_OK);
	assert_int_equal(conv_store_append_message(st->conversations, tid, cid, "visitor", "hello",
						   5, NOW_MS, NULL),
			 RELAY_OK);
	assert_int_equal(statedb_sync(), RELAY_OK);
	memcpy(key, st->token_key, sizeof(key));
	relay_state_free(st);

	st = open_state();
	assert_int_equal(tenant_store_count(st->store), 1);
	assert_int_equal(tenant_store_auth(st->store, tid, &auth), RELAY_OK);
	assert_string_equal(auth.secret, secret); /* the rotated one */
	assert_memory_equal(st->token_key, key, sizeof(key));
	data = NULL;
	assert_int_equal(conv_store_fetch(st->conversations, tid, cid, &data), RELAY_OK);
	assert_true(json_equal(data, conv));
	assert_int_equal(conv_store_fetch_messages(st->conversations, tid, cid, 10, 0, &page),
			 RELAY_OK);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 1);
	json_decref(page);
	json_decref(data);
	json_decref(conv);
	relay_state_reset(st); /* §10.1.3: the file forgets too */
	assert_int_equal(statedb_sync(), RELAY_OK);
	relay_state_free(st);

	st = open_state();
	assert_int_equal(tenant_store_count(st->store), 0);
	assert_memory_equal(st->token_key, key, sizeof(key)); /* kept by a reset */
	relay_state_free(st);
}

/* The lifecycle state test_lifecycle_comes_back gives its conversation. */
static enum relay_rc assign(void *ctx, struct conv_life *life)
{
	(void)ctx;
	life->status = CONV_ASSIGNED;
	life->human = true;
	snprintf(life->routing_key, sizeof(life->routing_key), "billing");
	life->has_routing_key = true;
	snprintf(life->ticket_id, sizeof(life->ticket_id), "tkt_%032d", 7);
	life->ticket_created_ms = NOW_MS + 5;
	snprintf(life->operator_id, sizeof(life->operator_id), "op_%032d", 9);
	return RELAY_OK;
}

/* §14.1.2: a conversation's status, mode, queue, ticket and operator, and the tenant's
 * escalation phrase, come back on the next open. */
static void test_lifecycle_comes_back(void **state)
{
	struct tenant_fields f = tenant("Life");
	struct relay_state *st;
	struct conv_fields cf = {"visitor-1", NULL, NULL, NULL, NULL, NULL};
	struct conv_life want, got;
	char tid[UUID_STR_LEN + 1], cid[PREFIXED_ID_MAX + 1];
	json_t *data = NULL, *conv = NULL;

	(void)state;
	st = open_state();
	assert_int_equal(tenant_store_create(st->store, &f, NOW_MS, &data), RELAY_OK);
	snprintf(tid, sizeof(tid), "%s", json_string_value(json_object_get(data, "tenant_id")));
	json_decref(data);
	assert_int_equal(conv_store_create(st->conversations, tid, &cf, NOW_MS, NULL, cid),
			 RELAY_OK);
	assert_int_equal(
		conv_store_life_apply(st->conversations, tid, cid, assign, NULL, NULL, &conv),
		RELAY_OK);
	assert_int_equal(conv_store_life_get(st->conversations, tid, cid, &want), RELAY_OK);
	assert_int_equal(lifecycle_set_trigger(st->lifecycle, tid, "Need A Human"), RELAY_OK);
	assert_int_equal(statedb_sync(), RELAY_OK);
	relay_state_free(st);

	st = open_state();
	memset(&got, 0, sizeof(got));
	assert_int_equal(conv_store_life_get(st->conversations, tid, cid, &got), RELAY_OK);
	assert_int_equal(got.status, CONV_ASSIGNED);
	assert_true(got.human && got.has_routing_key);
	assert_string_equal(got.routing_key, want.routing_key);
	assert_string_equal(got.ticket_id, want.ticket_id);
	assert_true(got.ticket_created_ms == NOW_MS + 5);
	assert_string_equal(got.operator_id, want.operator_id);
	data = NULL;
	assert_int_equal(conv_store_fetch(st->conversations, tid, cid, &data), RELAY_OK);
	assert_true(json_equal(data, conv)); /* the ticket's time is not shown */
	assert_null(json_object_get(data, "ticket_created_ms"));
	assert_true(lifecycle_trigger_matches(st->lifecycle, tid, "please, I need a human", 22));
	json_decref(data);
	json_decref(conv);
	/* cleared, and still cleared after the next open */
	assert_int_equal(lifecycle_set_trigger(st->lifecycle, tid, NULL), RELAY_OK);
	assert_int_equal(statedb_sync(), RELAY_OK);
	relay_state_free(st);
	st = open_state();
	assert_false(lifecycle_trigger_matches(st->lifecycle, tid, "please, I need a human", 22));
	relay_state_free(st);
}

static void test_second_open_is_refused(void **state)
{
	struct relay_state *st;
	struct statedb *db;
	char err[256];
	int code = 0;

	(void)state;
	st = open_state();
	db = statedb_open(path, err, sizeof(err), &code);
	assert_null(db);
	assert_int_equal(code, STATEDB_EXIT_LOCKED);
	assert_non_null(strstr(err, "in use by another mock-relay"));
	relay_state_free(st);
	db = statedb_open(path, err, sizeof(err), &code); /* free again */
	assert_non_null(db);
	statedb_close(db);
}

static void test_newer_version_is_refused(void **state)
{
	sqlite3 *db = NULL;
	struct statedb *s;
	char err[256];
	int code = 0;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE entity(x);PRAGMA application_id=1114402671;"
				      "PRAGMA user_version=7;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = statedb_open(path, err, sizeof(err), &code);
	assert_null(s);
	assert_int_equal(code, STATEDB_EXIT_REFUSED);
	assert_non_null(strstr(err, "version 7"));
}

static void test_unusable_path_is_an_io_error(void **state)
{
	struct statedb *s;
	char err[256];
	int code = 0;

	(void)state;
	s = statedb_open("/nonexistent-dir-for-test/state.db", err, sizeof(err), &code);
	assert_null(s);
	assert_int_equal(code, STATEDB_EXIT_IO);
	assert_non_null(strstr(err, "/nonexistent-dir-for-test/state.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_committed_writes_come_back, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_lifecycle_comes_back, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_second_open_is_refused, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_newer_version_is_refused, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_unusable_path_is_an_io_error, make_dir,
						remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
