/*
 * relay_client.c - libcurl wrapper (see relay_client.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "relay_client.h"

struct relay_client {
	CURL *easy;
	char *base_url;
	bool insecure; /* https: no certificate/hostname verification */
};

struct sink {
	struct client_response *resp;
	size_t cap;
	int overflow;
};

struct relay_client *client_new(const char *base_url)
{
	struct relay_client *c;
	size_t n;

	if (base_url == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->base_url = strdup(base_url);
	c->easy = curl_easy_init();
	if (c->base_url == NULL || c->easy == NULL) {
		client_free(c);
		return NULL;
	}
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	return c;
}

void client_free(struct relay_client *c)
{
	if (c == NULL)
		return;
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	free(c->base_url);
	free(c);
}

void client_set_insecure(struct relay_client *c, bool insecure)
{
	if (c != NULL)
		c->insecure = insecure;
}

const char *client_base_url(const struct relay_client *c)
{
	return c->base_url;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	struct client_response *r = s->resp;
	size_t n = size * nmemb;
	char *nb;

	if (r->body_len + n > CLIENT_BODY_MAX) {
		s->overflow = 1;
		return 0;
	}
	if (r->body_len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;

		while (cap < r->body_len + n + 1)
			cap *= 2;
		nb = realloc(r->body, cap);
		if (nb == NULL)
			return 0;
		r->body = nb;
		s->cap = cap;
	}
	memcpy(r->body + r->body_len, ptr, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct client_response *r = userdata;
	size_t n = size * nitems, nlen, vstart, vend;
	char *colon;

	/* A new status line (e.g. after 100-continue) starts a new header set. */
	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		size_t i;

		for (i = 0; i < r->n_headers; i++) {
			free(r->headers[i].name);
			free(r->headers[i].value);
		}
		r->n_headers = 0;
		return n;
	}
	colon = memchr(buf, ':', n);
	if (colon == NULL || r->n_headers >= CLIENT_HEADERS_MAX)
		return n;
	nlen = (size_t)(colon - buf);
	vstart = nlen + 1;
	while (vstart < n && (buf[vstart] == ' ' || buf[vstart] == '\t'))
		vstart++;
	vend = n;
	while (vend > vstart &&
	       (buf[vend - 1] == '\r' || buf[vend - 1] == '\n' || buf[vend - 1] == ' '))
		vend--;
	r->headers[r->n_headers].name = strndup(buf, nlen);
	r->headers[r->n_headers].value = strndup(buf + vstart, vend - vstart);
	if (r->headers[r->n_headers].name == NULL || r->headers[r->n_headers].value == NULL) {
		free(r->headers[r->n_headers].name);
		free(r->headers[r->n_headers].value);
		return 0;
	}
	r->n_headers++;
	return n;
}

#define CLIENT_DEFAULT_CONTENT_TYPE "Content-Type: application/json"

/* 1 when req goes out with a body (possibly empty): any body, or a POST/PUT. */
static int sends_body(const struct client_request *req)
{
	return req->body != NULL || strcmp(req->method, "POST") == 0 ||
	       strcmp(req->method, "PUT") == 0;
}

/* 1 when the caller set (or, with "Content-Type:", removed) the Content-Type. */
static int has_content_type(const struct client_request *req)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		if (req->headers[i] != NULL &&
		    strncasecmp(req->headers[i], "Content-Type:", 13) == 0)
			return 1;
	}
	return 0;
}

enum relay_rc client_perform(struct relay_client *c, const struct client_request *req,
			     struct client_response *resp)
{
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	struct curl_slist *hdrs = NULL, *tmp;
	struct sink sink;
	char *url = NULL;
	CURLcode cc;
	size_t i, ulen;

	memset(resp, 0, sizeof(*resp));
	if (c == NULL || req == NULL || req->method == NULL || req->path == NULL)
		goto out;
	ulen = strlen(c->base_url) + strlen(req->path) + 1;
	url = malloc(ulen);
	if (url == NULL) {
		rc = RELAY_E_NOMEM;
		goto out;
	}
	snprintf(url, ulen, "%s%s", c->base_url, req->path);
	/* The caller's headers, no Expect: 100-continue, and a JSON Content-Type by default. */
	for (i = 0; i < req->n_headers; i++) {
		tmp = curl_slist_append(hdrs, req->headers[i]);
		if (tmp == NULL) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
		hdrs = tmp;
	}
	tmp = curl_slist_append(hdrs, "Expect:");
	if (tmp == NULL) {
		rc = RELAY_E_NOMEM;
		goto out;
	}
	hdrs = tmp;
	/* curl would label a body application/x-www-form-urlencoded: the relay speaks JSON */
	if (sends_body(req) && !has_content_type(req)) {
		tmp = curl_slist_append(hdrs, CLIENT_DEFAULT_CONTENT_TYPE);
		if (tmp == NULL) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
		hdrs = tmp;
	}

	memset(&sink, 0, sizeof(sink));
	sink.resp = resp;
	curl_easy_reset(c->easy);
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
	if (sends_body(req)) {
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS,
			 req->timeout_ms > 0 ? req->timeout_ms : 10000L);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, resp->error);
	cc = curl_easy_perform(c->easy);
	curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME, &resp->seconds);
	if (cc != CURLE_OK) {
		if (resp->error[0] == '\0')
			snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(cc));
		if (sink.overflow)
			snprintf(resp->error, sizeof(resp->error), "response body over %u bytes",
				 CLIENT_BODY_MAX);
		rc = RELAY_E_IO;
		goto out;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->body == NULL) {
		resp->body = calloc(1, 1);
		if (resp->body == NULL) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
	}
	rc = RELAY_OK;
out:
	if (c != NULL && c->easy != NULL) {
		curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	}
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

enum relay_rc client_signed(struct relay_client *c, const struct client_request *req,
			    const char *tenant_id, const char *secret, int64_t ts_ms,
			    struct client_response *resp, struct hmac1_signed *sig)
{
	char hl[3][HMAC1_HEADER_LINE_MAX];
	const char *lines[CLIENT_HEADERS_MAX];
	struct client_request signed_req;
	struct hmac1_signed s;
	enum relay_rc rc;
	size_t i, n = 0;

	memset(resp, 0, sizeof(*resp));
	if (req == NULL || tenant_id == NULL || secret == NULL ||
	    strlen(tenant_id) > HMAC1_TENANT_SEND_MAX || req->n_headers > CLIENT_HEADERS_MAX - 3)
		return RELAY_E_INVALID_ARGUMENT;
	rc = hmac1_sign(secret, strlen(secret), ts_ms, req->body, req->body_len, &s);
	if (rc != RELAY_OK)
		return rc;
	rc = hmac1_header_lines(tenant_id, &s, hl);
	if (rc != RELAY_OK)
		return rc;
	for (i = 0; i < req->n_headers; i++)
		lines[n++] = req->headers[i];
	lines[n++] = hl[0];
	lines[n++] = hl[1];
	lines[n++] = hl[2];
	signed_req = *req;
	signed_req.headers = lines;
	signed_req.n_headers = n;
	if (sig != NULL)
		*sig = s;
	return client_perform(c, &signed_req, resp);
}

void client_response_cleanup(struct client_response *resp)
{
	size_t i;

	if (resp == NULL)
		return;
	for (i = 0; i < resp->n_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

const char *client_response_header(const struct client_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	}
	return NULL;
}

json_t *client_response_json(const struct client_response *resp)
{
	if (resp->body == NULL)
		return NULL;
	return json_loadb(resp->body, resp->body_len, 0, NULL);
}

/* Appends s single-quoted for a POSIX shell. */
static int shell_quote(char **buf, size_t *len, size_t *cap, const char *s, size_t slen)
{
	size_t i;

	for (i = 0; i <= slen + 1; i++) {
		const char *piece;
		size_t plen;
		char ch[2] = {0, 0};

		if (i == 0 || i == slen + 1) {
			piece = "'";
			plen = 1;
		} else if (s[i - 1] == '\'') {
			piece = "'\\''";
			plen = 4;
		} else {
			ch[0] = s[i - 1];
			piece = ch;
			plen = 1;
		}
		if (*len + plen + 1 > *cap) {
			size_t ncap = *cap * 2 + plen + 64;
			char *nb = realloc(*buf, ncap);

			if (nb == NULL)
				return -1;
			*buf = nb;
			*cap = ncap;
		}
		memcpy(*buf + *len, piece, plen);
		*len += plen;
		(*buf)[*len] = '\0';
	}
	return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t ncap = *cap * 2 + n + 64;
		char *nb = realloc(*buf, ncap);

		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

char *client_curl_command(const struct relay_client *c, const struct client_request *req)
{
	char *buf = NULL, *url = NULL;
	size_t len = 0, cap = 0, i, ulen;
	int bad = 0;

	if (c == NULL || req == NULL || req->path == NULL || req->method == NULL)
		return NULL;
	ulen = strlen(c->base_url) + strlen(req->path) + 1;
	url = malloc(ulen);
	if (url == NULL)
		return NULL;
	snprintf(url, ulen, "%s%s", c->base_url, req->path);
	bad |= append(&buf, &len, &cap, c->insecure ? "curl -sS -i -k -X " : "curl -sS -i -X ");
	bad |= append(&buf, &len, &cap, req->method);
	bad |= append(&buf, &len, &cap, " ");
	bad |= shell_quote(&buf, &len, &cap, url, strlen(url));
	for (i = 0; i < req->n_headers && !bad; i++) {
		bad |= append(&buf, &len, &cap, " -H ");
		bad |= shell_quote(&buf, &len, &cap, req->headers[i], strlen(req->headers[i]));
	}
	if (sends_body(req) && !has_content_type(req) && !bad) {
		bad |= append(&buf, &len, &cap, " -H ");
		bad |= shell_quote(&buf, &len, &cap, CLIENT_DEFAULT_CONTENT_TYPE,
				   strlen(CLIENT_DEFAULT_CONTENT_TYPE));
	}
	if (req->body != NULL && !bad) {
		if (req->body_len > 4096 || memchr(req->body, '\0', req->body_len) != NULL) {
			bad |= append(&buf, &len, &cap,
				      " --data-binary @body.bin  # body not shown (binary or over "
				      "4 KiB)");
		} else {
			bad |= append(&buf, &len, &cap, " --data-binary ");
			bad |= shell_quote(&buf, &len, &cap, req->body, req->body_len);
		}
	}
	free(url);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}
