/*
 * relay_jwt.h - visitor and operator tokens (SPEC §6.3, §6.5, §7.2).
 *
 * Both are HS256 JWTs made with libjwt and signed with the relay's own key (32
 * random bytes per process, kept in struct relay_state). Times in claims are Unix
 * seconds of the relay clock.
 *
 *   visitor:  {"iss":"bloonio-mock-relay","sub":<visitor id>,"tid":<tenant id>,
 *              "sid":<session id>,"origin":<normalized origin>,"wpk":<16 hex>,
 *              "iat":N,"exp":N+ttl}   (origin absent for backend-minted tokens)
 *   operator: {"iss":"bloonio-mock-relay","sub":<operator id>,
 *              "tids":{"<tenant id>":"operator"},"iat":N,"exp":N+ttl}
 *
 * Verification checks the algorithm (HS256 only: "none" and every other algorithm
 * are refused), the signature and the issuer. Expiry is reported, not enforced:
 * the caller decides (a refresh accepts an expired visitor token).
 */
#ifndef RELAY_JWT_H
#define RELAY_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_rc.h"

#define TOKEN_ISSUER        "bloonio-mock-relay"
#define TOKEN_KEY_LEN       32   /* bytes of the relay's signing key */
#define TOKEN_MAX_LEN       4096 /* longer presented tokens are refused unparsed */
#define TOKEN_STR_MAX       512  /* bytes of the longest string claim (128 UTF-8 chars) */
#define TOKEN_WPK_LEN       16   /* hex chars of sha256(widget_public_key) */
#define TOKEN_VISITOR_TTL_S 3600 /* §7.2: ~1 h */
#define TOKEN_TTL_MIN_S     60   /* §6.3, §6.5: ttl_seconds range */
#define TOKEN_TTL_MAX_S     86400

/* The claims of a visitor token. Empty strings are absent claims. */
struct visitor_claims {
	char sub[TOKEN_STR_MAX + 1];        /* visitor id */
	char tid[TOKEN_STR_MAX + 1];        /* tenant id */
	char sid[TOKEN_STR_MAX + 1];        /* visitor session id */
	char origin[TOKEN_STR_MAX + 1];     /* normalized origin; empty for backend-minted tokens */
	char wpk[TOKEN_WPK_LEN + 1];        /* token_widget_key_hash() of the widget key */
	char email_hash[TOKEN_STR_MAX + 1]; /* optional, from mint/visitor-token */
	int64_t iat;                        /* Unix seconds */
	int64_t exp;
};

/* The claims of an operator token. */
struct operator_claims {
	char sub[TOKEN_STR_MAX + 1]; /* operator id */
	char tid[TOKEN_STR_MAX + 1]; /* the one tenant of the tids claim */
	int64_t iat;
	int64_t exp;
};

/* Fill key with TOKEN_KEY_LEN random bytes (OpenSSL RAND_bytes). */
RELAY_WUR enum relay_rc token_key_generate(unsigned char key[TOKEN_KEY_LEN]);

/* First 16 lowercase hex chars of sha256(widget_public_key) into out. */
RELAY_WUR enum relay_rc token_widget_key_hash(const char *widget_public_key,
					      char out[TOKEN_WPK_LEN + 1]);

/*
 * Sign a visitor token. Required: sub, tid, sid, wpk; origin and email_hash are
 * left out when empty. On RELAY_OK *token is a new string the caller frees with free().
 */
RELAY_WUR enum relay_rc token_mint_visitor(const unsigned char *key, size_t key_len,
					   const struct visitor_claims *c, char **token);

/* Sign an operator token (sub and tid required). *token as above. */
RELAY_WUR enum relay_rc token_mint_operator(const unsigned char *key, size_t key_len,
					    const struct operator_claims *c, char **token);

/*
 * Verify token: HS256 only, signature with key, iss. On RELAY_OK *claims (may be
 * NULL) receives a new reference to the claims object and *expired (may be NULL)
 * says whether exp <= now_ms / 1000. Any failure is RELAY_E_INVALID_TOKEN
 * (RELAY_E_NOMEM when out of memory).
 */
RELAY_WUR enum relay_rc token_verify(const unsigned char *key, size_t key_len, const char *token,
				     int64_t now_ms, json_t **claims, bool *expired);

/*
 * Verify as above and read a visitor token's claims into *out (RELAY_E_INVALID_TOKEN
 * when it is not a well-formed visitor token, e.g. an operator token).
 */
RELAY_WUR enum relay_rc token_verify_visitor(const unsigned char *key, size_t key_len,
					     const char *token, int64_t now_ms,
					     struct visitor_claims *out, bool *expired);

/* Same for an operator token. */
RELAY_WUR enum relay_rc token_verify_operator(const unsigned char *key, size_t key_len,
					      const char *token, int64_t now_ms,
					      struct operator_claims *out, bool *expired);

#endif
