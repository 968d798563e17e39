/*
 * fuzz_token_verify.c - visitor and operator token verification (SPEC §6.3, §6.5,
 * §7.2) on presented strings.
 *
 * The first byte picks the mode: 0-1 the rest of the input is the token as presented
 * (Authorization: Bearer, ?token=); 2-3 a valid visitor or operator token is minted
 * with a fixed key and claims, then the input's bytes overwrite it from an offset the
 * second byte gives. Verification never crashes; a token it accepts has the fixed
 * issuer, NUL-terminated claims within their sizes, and re-mints to a token that
 * verifies to the same claims; an unmodified token always verifies.
 */
#include <string.h>

#include "fuzz.h"
#include "relay_jwt.h"

#define NOW_MS 1781344800000LL

static const unsigned char key[TOKEN_KEY_LEN] = "bloonio-fuzz-fixed-signing-key!";

static void check_visitor(const char *token)
{
	struct visitor_claims c, again;
	char *minted = NULL;
	bool expired = false;
	enum relay_rc rc;

	rc = token_verify_visitor(key, sizeof(key), token, NOW_MS, &c, &expired);
	if (rc != RELAY_OK) {
		FUZZ_CHECK(rc == RELAY_E_INVALID_TOKEN || rc == RELAY_E_NOMEM);
		return;
	}
	FUZZ_CHECK(strlen(token) <= TOKEN_MAX_LEN);
	FUZZ_CHECK(memchr(c.sub, '\0', sizeof(c.sub)) != NULL);
	FUZZ_CHECK(memchr(c.tid, '\0', sizeof(c.tid)) != NULL);
	FUZZ_CHECK(memchr(c.sid, '\0', sizeof(c.sid)) != NULL);
	FUZZ_CHECK(memchr(c.origin, '\0', sizeof(c.origin)) != NULL);
	FUZZ_CHECK(memchr(c.wpk, '\0', sizeof(c.wpk)) != NULL);
	FUZZ_CHECK(memchr(c.email_hash, '\0', sizeof(c.email_hash)) != NULL);
	FUZZ_CHECK(expired == (c.exp <= NOW_MS / 1000));
	if (c.sub[0] == '\0' || c.tid[0] == '\0' || c.sid[0] == '\0' || c.wpk[0] == '\0')
		return; /* minting needs these; verification may not */
	FUZZ_CHECK(token_mint_visitor(key, sizeof(key), &c, &minted) == RELAY_OK);
	FUZZ_CHECK(token_verify_visitor(key, sizeof(key), minted, NOW_MS, &again, NULL) ==
		   RELAY_OK);
	FUZZ_CHECK(strcmp(again.sub, c.sub) == 0 && strcmp(again.tid, c.tid) == 0);
	FUZZ_CHECK(strcmp(again.sid, c.sid) == 0 && strcmp(again.origin, c.origin) == 0);
	FUZZ_CHECK(again.iat == c.iat && again.exp == c.exp);
	free(minted);
}

static void check_operator(const char *token)
{
	struct operator_claims c, again;
	char *minted = NULL;
	bool expired = false;
	enum relay_rc rc;

	rc = token_verify_operator(key, sizeof(key), token, NOW_MS, &c, &expired);
	if (rc != RELAY_OK) {
		FUZZ_CHECK(rc == RELAY_E_INVALID_TOKEN || rc == RELAY_E_NOMEM);
		return;
	}
	FUZZ_CHECK(memchr(c.sub, '\0', sizeof(c.sub)) != NULL);
	FUZZ_CHECK(memchr(c.tid, '\0', sizeof(c.tid)) != NULL);
	FUZZ_CHECK(expired == (c.exp <= NOW_MS / 1000));
	if (c.sub[0] == '\0' || c.tid[0] == '\0')
		return;
	FUZZ_CHECK(token_mint_operator(key, sizeof(key), &c, &minted) == RELAY_OK);
	FUZZ_CHECK(token_verify_operator(key, sizeof(key), minted, NOW_MS, &again, NULL) ==
		   RELAY_OK);
	FUZZ_CHECK(strcmp(again.sub, c.sub) == 0 && strcmp(again.tid, c.tid) == 0);
	free(minted);
}

/* Both verifiers, and the generic one, on token. */
static void check_all(const char *token)
{
	json_t *claims = NULL;
	bool expired;

	check_visitor(token);
	check_operator(token);
	if (token_verify(key, sizeof(key), token, NOW_MS, &claims, &expired) == RELAY_OK) {
		FUZZ_CHECK(json_is_object(claims));
		FUZZ_CHECK(json_is_string(json_object_get(claims, "iss")));
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(claims, "iss")),
				  TOKEN_ISSUER) == 0);
		json_decref(claims);
	}
}

static char *mint(int op)
{
	struct visitor_claims v;
	struct operator_claims o;
	char *token = NULL;

	memset(&v, 0, sizeof(v));
	memset(&o, 0, sizeof(o));
	if (op) {
		strcpy(o.sub, "op_0190f1b2c3d47e5f8a9b0c1d2e3f4a5b");
		strcpy(o.tid, "0190f1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
		o.iat = NOW_MS / 1000;
		o.exp = o.iat + 3600;
		FUZZ_CHECK(token_mint_operator(key, sizeof(key), &o, &token) == RELAY_OK);
	} else {
		strcpy(v.sub, "visitor-42");
		strcpy(v.tid, "0190f1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
		strcpy(v.sid, "vs_0190f1b2c3d47e5f8a9b0c1d2e3f4a5b");
		strcpy(v.origin, "https://shop.demo.com");
		strcpy(v.wpk, "0123456789abcdef");
		v.iat = NOW_MS / 1000;
		v.exp = v.iat + 3600;
		FUZZ_CHECK(token_mint_visitor(key, sizeof(key), &v, &token) == RELAY_OK);
	}
	return token;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token, *buf;
	size_t len, off, n, i;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0] % 4;
	if (mode < 2) {
		buf = malloc(size);
		FUZZ_CHECK(buf != NULL);
		memcpy(buf, data + 1, size - 1);
		buf[size - 1] = '\0';
		check_all(buf);
		free(buf);
		return 0;
	}
	token = mint(mode == 3);
	len = strlen(token);
	if (size < 2) {
		/* the unmodified token verifies */
		if (mode == 3)
			check_operator(token);
		else
			check_visitor(token);
		FUZZ_CHECK(token_verify(key, sizeof(key), token, NOW_MS, NULL, NULL) == RELAY_OK);
		free(token);
		return 0;
	}
	off = data[1] * len / 256;
	n = size - 2;
	buf = malloc(off + n + len + 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, token, len + 1);
	for (i = 0; i < n; i++)
		buf[off + i] = (char)data[2 + i];
	if (off + n > len)
		buf[off + n] = '\0';
	check_all(buf);
	free(buf);
	free(token);
	return 0;
}
