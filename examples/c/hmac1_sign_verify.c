/*
 * hmac1_sign_verify.c - libbloonio-relay from an SDK author's side: sign a request body
 * with HMAC#1, show every intermediate value, then verify the request the way the relay
 * does, and look at what a wrong signature and an origin come out as.
 *
 *   cc hmac1_sign_verify.c $(pkg-config --cflags --libs bloonio-relay) -o hmac1_sign_verify
 *   printf '%s' '{"visitor_user_id":"user-123"}' | ./hmac1_sign_verify SECRET 1782036000000
 *
 * Reads the body (any bytes) from standard input; SECRET is the tenant secret and the
 * timestamp is the exact X-Bloonio-Timestamp text. Prints "name value" lines. Exit 0
 * when the signed request verifies and the tampered one is refused, 1 otherwise, 2 on
 * usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bloonio_relay.h>

#define BODY_MAX  (1024 * 1024)
#define TENANT_ID "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"

int main(int argc, char **argv)
{
	static char body[BODY_MAX];
	struct hmac1_signed s;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	char lines[3][HMAC1_HEADER_LINE_MAX];
	char tampered[HMAC1_HEX_LEN + 1];
	char origin[ORIGIN_MAX_LEN + 1];
	const char *reason = NULL;
	const char *secret, *ts;
	size_t len;
	long long now;
	int ok = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SECRET TIMESTAMP < BODY\n", argv[0]);
		return 2;
	}
	secret = argv[1];
	ts = argv[2];
	len = fread(body, 1, sizeof(body), stdin);
	if (ferror(stdin) || !feof(stdin)) {
		fprintf(stderr, "%s: cannot read the body (at most %d bytes)\n", argv[0], BODY_MAX);
		return 2;
	}

	/* 1. Sign: every value an SDK's signer must reproduce. */
	if (hmac1_sign_text(secret, strlen(secret), ts, body, len, &s) != RELAY_OK) {
		fprintf(stderr, "%s: cannot sign (timestamp 1-20 chars, secret <= %d bytes)\n",
			argv[0], HMAC1_SECRET_MAX);
		return 2;
	}
	printf("library %s\n", BLOONIO_RELAY_VERSION);
	printf("body_sha256 %s\n", s.body_sha256);
	printf("signing_string %s\n", s.signing_string);
	printf("signature %s\n", s.signature);
	/* The three request headers, "Name: value" as libcurl's CURLOPT_HTTPHEADER takes them. */
	if (hmac1_header_lines(TENANT_ID, &s, lines) != RELAY_OK)
		return 2;
	for (int i = 0; i < 3; i++)
		printf("header %s\n", lines[i]);

	/* 2. Verify the request as received, with the relay's clock at the signing time. */
	now = strtoll(ts, NULL, 10);
	hmac1_headers_init(&h);
	hmac1_headers_add(&h, "x-bloonio-tenant-id", TENANT_ID);
	hmac1_headers_add(&h, "X-Bloonio-Timestamp", s.timestamp);
	hmac1_headers_add(&h, "X-Bloonio-Signature", s.signature);
	hmac1_verify(&h, body, len, now, secret, strlen(secret), 0, &v);
	printf("verify %s %d %s\n", hmac1_step_name(v.failed_step), relay_rc_status(v.rc),
	       v.rc == RELAY_OK ? "ok" : relay_rc_code(v.rc));
	if (v.rc != RELAY_OK)
		ok = 0;

	/* 3. One hex digit changed: refused at the signature step, 401 invalid_signature. */
	memcpy(tampered, s.signature, sizeof(tampered));
	tampered[0] = tampered[0] == '0' ? '1' : '0';
	h.signature = tampered;
	hmac1_verify(&h, body, len, now, secret, strlen(secret), 0, &v);
	printf("tampered %s %d %s\n", hmac1_step_name(v.failed_step), relay_rc_status(v.rc),
	       relay_rc_code(v.rc));
	if (v.rc != RELAY_E_INVALID_SIGNATURE || v.failed_step != HMAC1_STEP_SIGNATURE)
		ok = 0;

	/* 4. Origins: how the relay stores and compares them. */
	if (origin_normalize("HTTPS://Shop.Demo.Com:443/", 26, origin, sizeof(origin), &reason) ==
	    RELAY_OK)
		printf("origin %s\n", origin);
	else
		printf("origin invalid %s\n", reason != NULL ? reason : "");

	return ok ? 0 : 1;
}
