/*
 * relay_origin.c - origin syntax, normalization and matching (SPEC.md §3).
 *
 * A deliberately small grammar: anything a browser would not send as an Origin
 * header for a page, or that could widen what a tenant allows (paths, userinfo,
 * wildcards, "null"), is refused rather than guessed at.
 */
#include <stdio.h>
#include <string.h>

#include "relay_origin.h"

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_host_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_';
}

static int is_ipv6_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
	       c == '.';
}

static enum relay_rc bad(const char **reason, const char *why)
{
	if (reason != NULL)
		*reason = why;
	return RELAY_E_VALIDATION_FAILED;
}

enum relay_rc origin_normalize(const char *in, size_t len, char *out, size_t out_size,
			       const char **reason)
{
	char buf[ORIGIN_MAX_LEN + 1];
	size_t i = 0, o = 0, scheme_end, host_start, host_end;
	long port = -1;
	int n;

	if (in == NULL || out == NULL || out_size < ORIGIN_MAX_LEN + 1)
		return bad(reason, "invalid argument");
	if (len == 0)
		return bad(reason, "empty");
	if (len > ORIGIN_MAX_LEN)
		return bad(reason, "longer than 255 bytes");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= 0x20 || c >= 0x7f)
			return bad(reason, "whitespace, control or non-ASCII character");
		if (c == '%')
			return bad(reason, "percent-encoding");
		if (c == '*')
			return bad(reason, "wildcard");
		if (c == '@')
			return bad(reason, "userinfo");
		if (c == '?')
			return bad(reason, "query");
		if (c == '#')
			return bad(reason, "fragment");
	}
	if (len == 4 && memcmp(in, "null", 4) == 0)
		return bad(reason, "the null origin");

	/* scheme */
	if (!is_alpha(in[0]))
		return bad(reason, "scheme must start with a letter");
	for (i = 1; i < len && in[i] != ':'; i++) {
		if (!is_alpha(in[i]) && !is_digit(in[i]) && in[i] != '+' && in[i] != '-' &&
		    in[i] != '.')
			return bad(reason, "invalid scheme character");
	}
	scheme_end = i;
	if (scheme_end + 3 > len || memcmp(in + scheme_end, "://", 3) != 0)
		return bad(reason, "missing \"://\"");
	for (i = 0; i < scheme_end; i++)
		buf[o++] = lower(in[i]);
	memcpy(buf + o, "://", 3);
	o += 3;

	/* host */
	host_start = scheme_end + 3;
	i = host_start;
	if (i < len && in[i] == '[') {
		for (i++; i < len && in[i] != ']'; i++) {
			if (!is_ipv6_char(in[i]))
				return bad(reason, "invalid IPv6 literal");
		}
		if (i >= len || i == host_start + 1)
			return bad(reason, "invalid IPv6 literal");
		i++;
	} else {
		while (i < len && is_host_char(in[i]))
			i++;
	}
	host_end = i;
	if (host_end == host_start)
		return bad(reason, "empty host");
	for (i = host_start; i < host_end; i++)
		buf[o++] = lower(in[i]);

	/* port */
	i = host_end;
	if (i < len && in[i] == ':') {
		size_t digits = 0;

		port = 0;
		for (i++; i < len && is_digit(in[i]); i++) {
			if (++digits > 5)
				return bad(reason, "port out of range");
			port = port * 10 + (in[i] - '0');
		}
		if (digits == 0)
			return bad(reason, "port must be decimal digits");
		if (port < 1 || port > 65535)
			return bad(reason, "port out of range");
	}

	/* one optional trailing slash, then nothing */
	if (i < len && in[i] == '/')
		i++;
	if (i != len)
		return bad(reason, memchr(in + host_end, '/', len - host_end) != NULL
					   ? "path"
					   : "invalid host or port character");

	if (port >= 0) {
		int is_default = (scheme_end == 4 && memcmp(buf, "http", 4) == 0 && port == 80) ||
				 (scheme_end == 5 && memcmp(buf, "https", 5) == 0 && port == 443);

		if (!is_default) {
			n = snprintf(buf + o, sizeof(buf) - o, ":%ld", port);
			if (n < 0 || (size_t)n >= sizeof(buf) - o)
				return bad(reason, "longer than 255 bytes");
			o += (size_t)n;
		}
	}
	buf[o] = '\0';
	memcpy(out, buf, o + 1);
	return RELAY_OK;
}

int origin_allowed(const char *presented, size_t len, const char *const *allowed, size_t n)
{
	char norm[ORIGIN_MAX_LEN + 1];
	size_t i;

	if (origin_normalize(presented, len, norm, sizeof(norm), NULL) != RELAY_OK)
		return 0;
	for (i = 0; i < n; i++) {
		if (allowed[i] != NULL && strcmp(allowed[i], norm) == 0)
			return 1;
	}
	return 0;
}
