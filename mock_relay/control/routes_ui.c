/*
 * routes_ui.c - GET /__mock/ui, the control plane's page (SPEC §10.7).
 *
 * The page shell holds no data and no secret, so it is served without X-Admin-Key (a
 * browser's navigation cannot send the header); everything it shows comes from the
 * control-plane and admin reads it calls with the key the user types. Like every
 * control-plane route it is never journaled, faulted or rate-limited.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "routes_ui.h"

#define SHA256_LEN 32
#define SHA256_B64 44 /* base64 of 32 bytes, padded */

/* 'sha256-<base64>' of a hex digest into out[SHA256_B64 + 1]; false if not 64 hex digits. */
static bool hash_source(const char *hex, char out[SHA256_B64 + 1])
{
	unsigned char raw[SHA256_LEN];
	size_t n = 0;

	if (strlen(hex) != 2 * SHA256_LEN ||
	    OPENSSL_hexstr2buf_ex(raw, sizeof(raw), &n, hex, '\0') != 1 || n != SHA256_LEN)
		return false;
	return EVP_EncodeBlock((unsigned char *)out, raw, SHA256_LEN) == SHA256_B64;
}

bool ui_csp(const char *script_sha256_hex, const char *style_sha256_hex, char out[UI_CSP_MAX])
{
	char script[SHA256_B64 + 1], style[SHA256_B64 + 1];
	int n;

	if (!hash_source(script_sha256_hex, script) || !hash_source(style_sha256_hex, style))
		return false;
	/* no 'unsafe-inline', no remote source: only this page's own script and style run */
	n = snprintf(out, UI_CSP_MAX,
		     "default-src 'none'; script-src 'sha256-%s'; style-src 'sha256-%s'; "
		     "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
		     "frame-ancestors 'none'",
		     script, style);
	return n > 0 && n < UI_CSP_MAX;
}

/* §10.7 GET /__mock/ui */
static void ui_get(struct relay_request *req, struct relay_response *resp)
{
	char csp[UI_CSP_MAX];

	(void)req;
	if (!ui_csp(ui_page_script_sha256, ui_page_style_sha256, csp)) {
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	if (!response_header(resp, "Content-Security-Policy", csp) ||
	    !response_header(resp, "X-Content-Type-Options", "nosniff") ||
	    !response_header(resp, "X-Frame-Options", "DENY") ||
	    !response_header(resp, "Referrer-Policy", "no-referrer") ||
	    !response_header(resp, "Cache-Control", "no-store")) {
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	response_static(resp, 200, "text/html; charset=utf-8", ui_page_html, ui_page_html_len);
}

/* ROUTE_PUBLIC: no X-Admin-Key (see the top of this file); /__mock/: never journaled. */
const struct relay_route routes_ui[] = {
	{"GET", "/__mock/ui", ROUTE_PUBLIC, ui_get},
	{NULL, NULL, 0, NULL},
};
