/*
 * relay_req.c - the route handlers' request/response API (see relay_req.h).
 *
 * Reads the request's query and headers through libmicrohttpd's connection; the
 * response is the envelope (relay_envelope) and its headers, sent by relay_http.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "relay_envelope.h"
#include "relay_req.h"

/* ---- request helpers ---------------------------------------------------- */

const char *request_query(const struct relay_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_header(const struct relay_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

unsigned request_query_count(const struct relay_request *r, const char *name)
{
	const char *p = r->query != NULL ? r->query : "";
	size_t nlen = strlen(name), klen;
	unsigned n = 0;

	/* Raw scan: MHD's argument list does not show a repeated name (§1.6.4). */
	while (*p != '\0') {
		klen = strcspn(p, "=&");
		if (klen == nlen && strncmp(p, name, nlen) == 0)
			n++;
		p += strcspn(p, "&");
		if (*p == '&')
			p++;
	}
	return n;
}

/* 400 malformed_request naming the query parameter (§1.6.6). */
static void bad_param(struct relay_response *resp, const char *name, const char *what)
{
	/* §1.3.2: the message is the code's fixed text; `what` documents the rule. */
	(void)what;
	response_error(resp, RELAY_E_MALFORMED_REQUEST, name, NULL);
}

bool request_id_param(const struct relay_request *r, const char *name, bool required,
		      char out[TEXT_ID_MAX + 1], struct relay_response *resp)
{
	unsigned count = request_query_count(r, name);
	const char *v = request_query(r, name);
	size_t len;

	out[0] = '\0';
	if (count == 0 || v == NULL) {
		if (!required)
			return true;
		bad_param(resp, name, "is required");
		return false;
	}
	if (count > 1) {
		bad_param(resp, name, "is given more than once");
		return false;
	}
	if (!text_id_valid(v)) {
		bad_param(resp, name, "must be 1-128 characters of A-Z a-z 0-9 _ -");
		return false;
	}
	len = strlen(v);
	memcpy(out, v, len + 1);
	return true;
}

json_t *request_json_object(const struct relay_request *r, struct relay_response *resp)
{
	json_error_t err;
	json_t *v;

	if (r->body_len == 0) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL, NULL);
		return NULL;
	}
	v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL, NULL);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL, NULL);
		return NULL;
	}
	return v;
}

bool request_uuid_param(const struct relay_request *r, const char *name, char out[UUID_STR_LEN + 1],
			struct relay_response *resp)
{
	const char *v = request_query(r, name);
	size_t i;

	if (request_query_count(r, name) > 1) {
		bad_param(resp, name, "is given more than once");
		return false;
	}
	if (v == NULL || !ids_is_uuid(v)) {
		bad_param(resp, name, "must be a UUID");
		return false;
	}
	/* UUIDs are stored lowercase (§1.8). */
	for (i = 0; i < UUID_STR_LEN; i++)
		out[i] = (v[i] >= 'A' && v[i] <= 'F') ? (char)(v[i] - 'A' + 'a') : v[i];
	out[UUID_STR_LEN] = '\0';
	return true;
}

bool query_int_parse(const char *v, long long min, long long max, long long *out)
{
	long long n = 0;
	size_t i, len = strlen(v);

	for (i = 0; i < len && len <= 12; i++) {
		if (v[i] < '0' || v[i] > '9')
			break;
		n = n * 10 + (v[i] - '0');
	}
	if (len == 0 || len > 12 || i != len || n < min || n > max)
		return false;
	*out = n;
	return true;
}

bool request_int_param(const struct relay_request *r, const char *name, long long min,
		       long long max, long long def, long long *out, struct relay_response *resp)
{
	const char *v = request_query(r, name);
	long long n = 0;

	if (request_query_count(r, name) > 1) {
		bad_param(resp, name, "is given more than once");
		return false;
	}
	if (v == NULL) {
		*out = def;
		return true;
	}
	if (!query_int_parse(v, min, max, &n)) {
		bad_param(resp, name, "must be an integer in range");
		return false;
	}
	*out = n;
	return true;
}

/* ---- response helpers --------------------------------------------------- */

static void set_envelope(struct relay_response *resp, int status, enum relay_rc rc, json_t *env)
{
	json_decref(resp->envelope);
	free(resp->text);
	resp->text = NULL;
	if (resp->raw != NULL) {
		MHD_destroy_response(resp->raw);
		resp->raw = NULL;
	}
	resp->envelope = env;
	resp->status = status;
	resp->rc = rc;
}

void response_success(struct relay_response *resp, int status, json_t *data, const char *message)
{
	set_envelope(resp, status, RELAY_OK, envelope_success(status, data, message));
}

void response_success_text(struct relay_response *resp, int status, const char *data,
			   size_t data_len, const char *message)
{
	size_t len = 0;
	char *text = envelope_success_text(status, data, data_len, message, &len);

	if (text == NULL) {
		response_error(resp, RELAY_E_NOMEM, NULL, NULL);
		return;
	}
	set_envelope(resp, status, RELAY_OK, NULL);
	resp->text = text;
	resp->text_len = len;
}

void response_error(struct relay_response *resp, enum relay_rc rc, const char *field,
		    const char *message)
{
	/* Local failures (out of memory, ...) are internal errors on the wire. */
	if (rc >= RELAY_E_NOMEM || rc == RELAY_OK)
		rc = RELAY_E_INTERNAL;
	set_envelope(resp, relay_rc_status(rc), rc, envelope_error(rc, message, field, 0));
}

void response_error_status(struct relay_response *resp, enum relay_rc rc, int status,
			   const char *message)
{
	set_envelope(resp, status, rc, envelope_error(rc, message, NULL, status));
}

bool response_header(struct relay_response *resp, const char *name, const char *value)
{
	struct response_header *h = NULL;
	size_t i;

	if (strlen(name) >= RESP_HEADER_NAME || strlen(value) >= RESP_HEADER_VALUE)
		return false;
	for (i = 0; i < resp->n_headers; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0)
			h = &resp->headers[i];
	}
	if (h == NULL) {
		if (resp->n_headers >= RESP_HEADERS_MAX)
			return false;
		h = &resp->headers[resp->n_headers++];
	}
	memcpy(h->name, name, strlen(name) + 1);
	memcpy(h->value, value, strlen(value) + 1);
	return true;
}

void response_raw(struct relay_response *resp, int status, struct MHD_Response *raw)
{
	set_envelope(resp, status, RELAY_OK, NULL);
	resp->raw = raw;
}

void response_empty(struct relay_response *resp, int status)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (r == NULL) {
		response_error(resp, RELAY_E_NOMEM, NULL, NULL);
		return;
	}
	response_raw(resp, status, r);
}

void response_static(struct relay_response *resp, int status, const char *content_type,
		     const void *data, size_t len)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
	if (r == NULL ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES) {
		if (r != NULL)
			MHD_destroy_response(r);
		response_error(resp, RELAY_E_NOMEM, NULL, NULL);
		return;
	}
	response_raw(resp, status, r);
}

void response_init(struct relay_response *resp)
{
	resp->status = 0;
	resp->envelope = NULL;
	resp->text = NULL;
	resp->text_len = 0;
	resp->rc = RELAY_OK;
	resp->n_headers = 0;
	resp->raw = NULL;
	resp->drop = false;
}

void response_cleanup(struct relay_response *resp)
{
	json_decref(resp->envelope);
	resp->envelope = NULL;
	free(resp->text);
	resp->text = NULL;
	if (resp->raw != NULL)
		MHD_destroy_response(resp->raw);
	resp->raw = NULL;
}
