/*
 * relay_log.c - request log lines (see relay_log.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "relay_clock.h"
#include "relay_ids.h"
#include "relay_log.h"

/* Copies src into dst[size], replacing bytes that would break a text line. */
static void clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = ((unsigned char)src[i] < 0x21 || src[i] == 0x7f) ? '?' : src[i];
	dst[i] = '\0';
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

void log_request(enum log_format format, const struct journal_entry *e)
{
	char line[LOG_LINE_MAX];
	const char *now;
	char path[JOURNAL_PATH_MAX + 1], tenant[HMAC1_TENANT_MAX + 1];
	char *json = NULL;
	json_t *obj;
	int n;

	now = now_rfc3339();
	if (format == LOG_FORMAT_JSON) {
		obj = json_pack("{s:s, s:s, s:s, s:i, s:s?, s:s?, s:I}", "ts", now, "method",
				e->method, "path", e->path, "status", e->status, "tenant_id",
				e->tenant_id[0] != '\0' ? e->tenant_id : NULL, "error",
				e->error_code[0] != '\0' ? e->error_code : NULL, "duration_us",
				(json_int_t)e->duration_us);
		if (obj != NULL)
			json = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(obj);
		if (json == NULL)
			return;
		n = snprintf(line, sizeof(line), "%s\n", json);
		free(json);
	} else {
		char method[sizeof(e->method)];

		clean(method, sizeof(method), e->method);
		clean(path, sizeof(path), e->path);
		clean(tenant, sizeof(tenant), e->tenant_id);
		n = snprintf(line, sizeof(line), "%s %s %s %d tenant=%s error=%s %" PRId64 "us\n",
			     now, method, path, e->status, tenant[0] != '\0' ? tenant : "-",
			     e->error_code[0] != '\0' ? e->error_code : "-", e->duration_us);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
