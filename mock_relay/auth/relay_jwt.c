/*
 * relay_jwt.c - visitor and operator tokens over libjwt (SPEC §6.3, §6.5, §7.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/rand.h>

#include "relay_hmac1.h"
#include "relay_jwt.h"

enum relay_rc token_key_generate(unsigned char key[TOKEN_KEY_LEN])
{
	if (RAND_bytes(key, TOKEN_KEY_LEN) != 1)
		return RELAY_E_CRYPTO;
	return RELAY_OK;
}

enum relay_rc token_widget_key_hash(const char *widget_public_key, char out[TOKEN_WPK_LEN + 1])
{
	char hex[HMAC1_HEX_LEN + 1];
	enum relay_rc rc;

	if (widget_public_key == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	rc = hmac1_sha256_hex(widget_public_key, strlen(widget_public_key), hex);
	if (rc != RELAY_OK)
		return rc;
	memcpy(out, hex, TOKEN_WPK_LEN);
	out[TOKEN_WPK_LEN] = '\0';
	return RELAY_OK;
}

/* A new HS256 jwt_t with iss, sub, iat and exp; NULL when libjwt fails. */
static jwt_t *token_start(const unsigned char *key, size_t key_len, const char *sub, int64_t iat,
			  int64_t exp)
{
	jwt_t *jwt = NULL;

	if (key == NULL || key_len == 0 || key_len > 1024 || jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0 ||
	    jwt_add_grant(jwt, "iss", TOKEN_ISSUER) != 0 || jwt_add_grant(jwt, "sub", sub) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)exp) != 0) {
		jwt_free(jwt);
		return NULL;
	}
	return jwt;
}

/* Encode jwt into a malloc'd string; frees jwt. */
static enum relay_rc token_finish(jwt_t *jwt, char **token)
{
	char *s = jwt_encode_str(jwt);

	jwt_free(jwt);
	if (s == NULL)
		return RELAY_E_CRYPTO;
	*token = s;
	return RELAY_OK;
}

enum relay_rc token_mint_visitor(const unsigned char *key, size_t key_len,
				 const struct visitor_claims *c, char **token)
{
	jwt_t *jwt;

	if (c == NULL || token == NULL || c->sub[0] == '\0' || c->tid[0] == '\0' ||
	    c->sid[0] == '\0' || c->wpk[0] == '\0')
		return RELAY_E_INVALID_ARGUMENT;
	jwt = token_start(key, key_len, c->sub, c->iat, c->exp);
	if (jwt == NULL)
		return RELAY_E_CRYPTO;
	if (jwt_add_grant(jwt, "tid", c->tid) != 0 || jwt_add_grant(jwt, "sid", c->sid) != 0 ||
	    (c->origin[0] != '\0' && jwt_add_grant(jwt, "origin", c->origin) != 0) ||
	    jwt_add_grant(jwt, "wpk", c->wpk) != 0 ||
	    (c->email_hash[0] != '\0' &&
	     jwt_add_grant(jwt, "visitor_email_hash", c->email_hash) != 0)) {
		jwt_free(jwt);
		return RELAY_E_CRYPTO;
	}
	return token_finish(jwt, token);
}

enum relay_rc token_mint_operator(const unsigned char *key, size_t key_len,
				  const struct operator_claims *c, char **token)
{
	json_t *grants = NULL;
	char *grants_json = NULL;
	jwt_t *jwt = NULL;
	enum relay_rc rc = RELAY_E_CRYPTO;

	if (c == NULL || token == NULL || c->sub[0] == '\0' || c->tid[0] == '\0')
		return RELAY_E_INVALID_ARGUMENT;
	/* tids: {tenant_id: role}, limited to the calling tenant (documented, TEN) */
	grants = json_pack("{s:{s:s}}", "tids", c->tid, "operator");
	if (grants == NULL) {
		rc = RELAY_E_NOMEM;
		goto out;
	}
	grants_json = json_dumps(grants, JSON_COMPACT);
	if (grants_json == NULL) {
		rc = RELAY_E_NOMEM;
		goto out;
	}
	jwt = token_start(key, key_len, c->sub, c->iat, c->exp);
	if (jwt == NULL || jwt_add_grants_json(jwt, grants_json) != 0)
		goto out;
	rc = token_finish(jwt, token);
	jwt = NULL;
out:
	jwt_free(jwt);
	free(grants_json);
	json_decref(grants);
	return rc;
}

enum relay_rc token_verify(const unsigned char *key, size_t key_len, const char *token,
			   int64_t now_ms, json_t **claims, bool *expired)
{
	jwt_t *jwt = NULL;
	char *all = NULL;
	json_t *obj = NULL, *exp;
	const char *iss;
	enum relay_rc rc = RELAY_E_INVALID_TOKEN;

	if (key == NULL || key_len == 0 || key_len > 1024 || token == NULL ||
	    strnlen(token, TOKEN_MAX_LEN + 1) > TOKEN_MAX_LEN)
		goto out;
	if (jwt_decode(&jwt, token, key, (int)key_len) != 0)
		goto out;
	/* libjwt accepts "none" when it is told to; the relay never does */
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	iss = jwt_get_grant(jwt, "iss");
	if (iss == NULL || strcmp(iss, TOKEN_ISSUER) != 0)
		goto out;
	all = jwt_get_grants_json(jwt, NULL);
	if (all == NULL)
		goto out;
	obj = json_loads(all, JSON_REJECT_DUPLICATES, NULL);
	exp = json_object_get(obj, "exp");
	if (!json_is_object(obj) || !json_is_integer(exp))
		goto out;
	if (expired != NULL)
		*expired = json_integer_value(exp) <= now_ms / 1000;
	if (claims != NULL) {
		*claims = obj;
		obj = NULL;
	}
	rc = RELAY_OK;
out:
	json_decref(obj);
	free(all);
	jwt_free(jwt);
	return rc;
}

/* Copy the string claim name into out (size TOKEN_STR_MAX + 1). 1 on success. */
static int claim_str(json_t *claims, const char *name, char *out, size_t out_size, int required)
{
	json_t *v = json_object_get(claims, name);
	size_t len;

	if (v == NULL) {
		out[0] = '\0';
		return !required;
	}
	if (!json_is_string(v))
		return 0;
	len = json_string_length(v);
	if (len >= out_size || (required && len == 0) || memchr(json_string_value(v), 0, len))
		return 0;
	memcpy(out, json_string_value(v), len + 1);
	return 1;
}

/* Read iat and exp. 1 on success. */
static int claim_times(json_t *claims, int64_t *iat, int64_t *exp)
{
	json_t *i = json_object_get(claims, "iat"), *e = json_object_get(claims, "exp");

	if (!json_is_integer(i) || !json_is_integer(e))
		return 0;
	*iat = json_integer_value(i);
	*exp = json_integer_value(e);
	return 1;
}

enum relay_rc token_verify_visitor(const unsigned char *key, size_t key_len, const char *token,
				   int64_t now_ms, struct visitor_claims *out, bool *expired)
{
	struct visitor_claims c;
	json_t *claims = NULL;
	bool exp_flag = false;
	enum relay_rc rc;

	rc = token_verify(key, key_len, token, now_ms, &claims, &exp_flag);
	if (rc != RELAY_OK)
		return rc;
	rc = RELAY_E_INVALID_TOKEN;
	memset(&c, 0, sizeof(c));
	if (!claim_str(claims, "sub", c.sub, sizeof(c.sub), 1) ||
	    !claim_str(claims, "tid", c.tid, sizeof(c.tid), 1) ||
	    !claim_str(claims, "sid", c.sid, sizeof(c.sid), 1) ||
	    !claim_str(claims, "wpk", c.wpk, sizeof(c.wpk), 1) ||
	    !claim_str(claims, "origin", c.origin, sizeof(c.origin), 0) ||
	    !claim_str(claims, "visitor_email_hash", c.email_hash, sizeof(c.email_hash), 0) ||
	    !claim_times(claims, &c.iat, &c.exp))
		goto out;
	*out = c;
	if (expired != NULL)
		*expired = exp_flag;
	rc = RELAY_OK;
out:
	json_decref(claims);
	return rc;
}

enum relay_rc token_verify_operator(const unsigned char *key, size_t key_len, const char *token,
				    int64_t now_ms, struct operator_claims *out, bool *expired)
{
	struct operator_claims c;
	json_t *claims = NULL, *tids, *role;
	const char *tid;
	bool exp_flag = false;
	enum relay_rc rc;

	rc = token_verify(key, key_len, token, now_ms, &claims, &exp_flag);
	if (rc != RELAY_OK)
		return rc;
	rc = RELAY_E_INVALID_TOKEN;
	memset(&c, 0, sizeof(c));
	tids = json_object_get(claims, "tids");
	if (!claim_str(claims, "sub", c.sub, sizeof(c.sub), 1) || !json_is_object(tids) ||
	    json_object_size(tids) != 1 || !claim_times(claims, &c.iat, &c.exp))
		goto out;
	json_object_foreach(tids, tid, role)
	{
		if (!json_is_string(role) || strcmp(json_string_value(role), "operator") != 0 ||
		    strlen(tid) > TOKEN_STR_MAX || tid[0] == '\0')
			goto out;
		memcpy(c.tid, tid, strlen(tid) + 1);
	}
	*out = c;
	if (expired != NULL)
		*expired = exp_flag;
	rc = RELAY_OK;
out:
	json_decref(claims);
	return rc;
}
