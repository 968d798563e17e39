/*
 * hmac1.c - the `hmac1` command: sign, verify and explain HMAC#1 requests
 * (SPEC.md §4), for SDK authors chasing a 401.
 *
 *   hmac1 sign    prints the three headers and every intermediate value
 *   hmac1 verify  prints the relay's verdict, what it computed, and hints
 *   hmac1 vectors runs vector files through the library (hmac1_vectors.c)
 *
 * All the cryptography is relay_proto's (the same code the mock relay runs).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hmac1_cli.h"
#include "relay_clock.h"
#include "relay_hmac1.h"

/* ---- shared helpers (hmac1_cli.h) ---- */

int cli_read_file(const char *path, size_t max, unsigned char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	unsigned char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "hmac1: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				fprintf(stderr, "hmac1: out of memory reading %s\n", path);
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			fprintf(stderr, "hmac1: %s is larger than %zu bytes\n", path, max);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "hmac1: cannot read %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL)
			goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

int cli_parse_ms(const char *s, int64_t *v)
{
	size_t i, n = strlen(s);
	char *end;
	long long x;

	if (n == 0 || n > 20)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*v = (int64_t)x;
	return 1;
}

void cli_print_shell_quoted(const char *s)
{
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

/* ---- options common to sign and verify ---- */

enum opt_id {
	OPT_SECRET = 1000,
	OPT_SECRET_ENV,
	OPT_UNKNOWN_TENANT,
	OPT_TENANT,
	OPT_TIMESTAMP_MS,
	OPT_TIMESTAMP,
	OPT_SIGNATURE,
	OPT_BODY,
	OPT_BODY_FILE,
	OPT_NOW_MS,
	OPT_SUSPENDED,
	OPT_FORMAT,
	OPT_HELP
};

struct opts {
	const char *secret;
	const char *secret_from; /* "--secret" or "$VAR", for messages */
	int unknown_tenant;
	const char *tenant;
	const char *timestamp; /* text as given */
	const char *signature;
	const char *body_arg;
	const char *body_file;
	unsigned char *body; /* owned */
	size_t body_len;
	int have_now;
	int64_t now_ms;
	int suspended;
	int json;
	int curl; /* sign only: a curl config (curl -K -) */
};

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "hmac1 CMD: <message>" and a pointer to --help on stderr; returns EXIT_USAGE. */
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hmac1 %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'hmac1 %s --help'.\n", cmd);
	return EXIT_USAGE;
}

/* Parses argv into o; returns -1 for --help (printed), EXIT_USAGE on error, else 0. */
static int parse_opts(const char *cmd, int argc, char **argv, const struct option *longopts,
		      void (*help)(FILE *), struct opts *o)
{
	int c, idx = 0, secrets = 0;
	const char *env;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
		switch (c) {
		case OPT_SECRET:
			o->secret = optarg;
			o->secret_from = "--secret";
			secrets++;
			break;
		case OPT_SECRET_ENV:
			env = getenv(optarg);
			if (env == NULL)
				return usage_error(cmd, "--secret-env: %s is not set", optarg);
			o->secret = env;
			o->secret_from = optarg;
			secrets++;
			break;
		case OPT_UNKNOWN_TENANT:
			o->unknown_tenant = 1;
			secrets++;
			break;
		case OPT_TENANT:
			o->tenant = optarg;
			break;
		case OPT_TIMESTAMP_MS:
		case OPT_TIMESTAMP:
			o->timestamp = optarg;
			break;
		case OPT_SIGNATURE:
			o->signature = optarg;
			break;
		case OPT_BODY:
			if (o->body_file != NULL)
				return usage_error(cmd, "give --body or --body-file, not both");
			o->body_arg = optarg;
			break;
		case OPT_BODY_FILE:
			if (o->body_arg != NULL)
				return usage_error(cmd, "give --body or --body-file, not both");
			o->body_file = optarg;
			break;
		case OPT_NOW_MS:
			if (!cli_parse_ms(optarg, &o->now_ms))
				return usage_error(
					cmd, "--now-ms: \"%s\" is not a Unix time in milliseconds",
					optarg);
			o->have_now = 1;
			break;
		case OPT_SUSPENDED:
			o->suspended = 1;
			break;
		case OPT_FORMAT:
			o->json = strcmp(optarg, "json") == 0;
			o->curl = strcmp(optarg, "curl") == 0 && strcmp(cmd, "sign") == 0;
			if (!o->json && !o->curl && strcmp(optarg, "text") != 0)
				return usage_error(cmd, "--format: \"%s\" is not %s", optarg,
						   strcmp(cmd, "sign") == 0 ? "text, json or curl"
									    : "text or json");
			break;
		case 'h':
		case OPT_HELP:
			help(stdout);
			return -1;
		case ':':
			return usage_error(cmd, "%s needs a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	if (secrets > 1)
		return usage_error(cmd, "give only one of --secret, --secret-env%s",
				   strcmp(cmd, "verify") == 0 ? ", --unknown-tenant" : "");
	if (o->tenant == NULL)
		return usage_error(cmd, "--tenant is required");
	if (o->body_file != NULL) {
		if (cli_read_file(o->body_file, HMAC1_BODY_FILE_MAX, &o->body, &o->body_len) != 0)
			return EXIT_USAGE;
	} else {
		const char *b = o->body_arg != NULL ? o->body_arg : "";

		o->body_len = strlen(b);
		o->body = malloc(o->body_len + 1);
		if (o->body == NULL)
			return EXIT_USAGE;
		memcpy(o->body, b, o->body_len + 1);
	}
	return 0;
}

static int is_lower_hex(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	}
	return 1;
}

/* Prints "  -H 'Name: value'" quoted for a shell, then end. */
static void print_h_flag(const char *name, const char *value, const char *end)
{
	size_t n = strlen(name) + 2 + strlen(value) + 1;
	char *line = malloc(n);

	if (line == NULL)
		return;
	snprintf(line, n, "%s: %s", name, value);
	fputs("  -H ", stdout);
	cli_print_shell_quoted(line);
	fputs(end, stdout);
	free(line);
}

/* Prints header = "Name: value" for a curl config file (curl -K), quoted and escaped. */
static void print_curl_config_header(const char *name, const char *value)
{
	const char *p;

	printf("header = \"%s: ", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	printf("\"\n");
}

/* ---- hmac1 sign ---- */

static void sign_help(FILE *f)
{
	fprintf(f,
		"usage: hmac1 sign (--secret S | --secret-env VAR) --tenant T\n"
		"                  [--timestamp-ms N] [--body STR | --body-file F] [--format "
		"text|json|curl]\n"
		"\n"
		"Signs a request with HMAC#1 (SPEC.md §4.2-4.3) and prints every intermediate "
		"value:\n"
		"the body length, body_sha256, the signing string "
		"\"{timestamp_ms}.{body_sha256}\",\n"
		"the signature (lowercase hex HMAC-SHA256 keyed with the UTF-8 bytes of the whole\n"
		"tenant_secret), the three headers and ready-to-paste curl -H flags.\n"
		"\n"
		"  --secret S         the tenant_secret (sk_...), used exactly as given\n"
		"  --secret-env VAR   read the secret from environment variable VAR instead\n"
		"  --tenant T         the tenant_id for X-Bloonio-Tenant-Id\n"
		"  --timestamp-ms N   Unix time in milliseconds, used as text (default: now)\n"
		"  --body STR         the exact body bytes (default: empty, as for a GET)\n"
		"  --body-file F      read the body from F ('-' for stdin), byte for byte\n"
		"  --format json      one JSON object instead of text\n"
		"  --format curl      the three headers as a curl config, for curl -K -:\n"
		"                       hmac1 sign ... --format curl | curl -K - URL --data-binary "
		"...\n"
		"\n"
		"Exit 0 on success, 2 on a usage error.\n");
}

static const struct option sign_longopts[] = {
	{"secret", required_argument, NULL, OPT_SECRET},
	{"secret-env", required_argument, NULL, OPT_SECRET_ENV},
	{"tenant", required_argument, NULL, OPT_TENANT},
	{"timestamp-ms", required_argument, NULL, OPT_TIMESTAMP_MS},
	{"body", required_argument, NULL, OPT_BODY},
	{"body-file", required_argument, NULL, OPT_BODY_FILE},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static int cmd_sign(int argc, char **argv)
{
	struct hmac1_signed s;
	struct opts o;
	char now_text[24];
	int64_t ts = 0;
	int rc;

	rc = parse_opts("sign", argc, argv, sign_longopts, sign_help, &o);
	if (rc != 0)
		goto out;
	rc = EXIT_USAGE;
	if (o.secret == NULL) {
		usage_error("sign", "--secret or --secret-env is required");
		goto out;
	}
	if (o.timestamp == NULL) {
		snprintf(now_text, sizeof(now_text), "%" PRId64, relay_clock_real_ms());
		o.timestamp = now_text;
	} else if (!cli_parse_ms(o.timestamp, &ts)) {
		usage_error("sign", "--timestamp-ms: \"%s\" is not a Unix time in milliseconds",
			    o.timestamp);
		goto out;
	}
	if (strlen(o.secret) > HMAC1_SECRET_MAX) {
		usage_error("sign", "the secret is longer than %d bytes", HMAC1_SECRET_MAX);
		goto out;
	}
	if (hmac1_sign_text(o.secret, strlen(o.secret), o.timestamp, o.body, o.body_len, &s) !=
	    RELAY_OK) {
		fprintf(stderr, "hmac1 sign: signing failed\n");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (strlen(o.timestamp) > HMAC1_TS_MAX_DIGITS || strlen(o.timestamp) <= 11)
		fprintf(stderr,
			"hmac1 sign: warning: %s does not look like Unix milliseconds (13 digits "
			"today); the relay refuses it\n",
			o.timestamp);
	if (o.tenant[0] == '\0' || strlen(o.tenant) > HMAC1_TENANT_MAX)
		fprintf(stderr, "hmac1 sign: warning: the relay refuses a tenant id that is empty "
				"or over 128 bytes\n");

	if (o.curl) {
		if (strchr(o.tenant, '\n') != NULL || strchr(o.tenant, '\r') != NULL) {
			usage_error("sign", "--tenant contains a line break");
			goto out;
		}
		print_curl_config_header(HMAC1_HEADER_TENANT, o.tenant);
		print_curl_config_header(HMAC1_HEADER_TIMESTAMP, s.timestamp);
		print_curl_config_header(HMAC1_HEADER_SIGNATURE, s.signature);
	} else if (o.json) {
		json_t *j = json_pack(
			"{s:s, s:s, s:I, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "tenant_id", o.tenant,
			"timestamp_ms", s.timestamp, "body_length", (json_int_t)o.body_len,
			"body_sha256", s.body_sha256, "signing_string", s.signing_string,
			"signature", s.signature, "headers", HMAC1_HEADER_TENANT, o.tenant,
			HMAC1_HEADER_TIMESTAMP, s.timestamp, HMAC1_HEADER_SIGNATURE, s.signature);

		if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
			fprintf(stderr, "hmac1 sign: the tenant id is not valid UTF-8\n");
			json_decref(j);
			goto out;
		}
		putchar('\n');
		json_decref(j);
	} else {
		printf("HMAC#1 signature (SPEC.md §4.2-4.3)\n");
		printf("  body             %zu bytes%s\n", o.body_len,
		       o.body_len == 0 ? " (empty, as for a GET)" : "");
		printf("  body_sha256      %s\n", s.body_sha256);
		printf("  timestamp_ms     %s\n", s.timestamp);
		printf("  signing_string   %s\n", s.signing_string);
		printf("  signature        %s\n", s.signature);
		printf("\nHeaders:\n");
		printf("%s: %s\n", HMAC1_HEADER_TENANT, o.tenant);
		printf("%s: %s\n", HMAC1_HEADER_TIMESTAMP, s.timestamp);
		printf("%s: %s\n", HMAC1_HEADER_SIGNATURE, s.signature);
		printf("\ncurl flags (send the body byte for byte, e.g. --data-binary @file):\n");
		print_h_flag(HMAC1_HEADER_TENANT, o.tenant, " \\\n");
		print_h_flag(HMAC1_HEADER_TIMESTAMP, s.timestamp, " \\\n");
		print_h_flag(HMAC1_HEADER_SIGNATURE, s.signature, "\n");
	}
	rc = EXIT_ACCEPTED;
out:
	free(o.body);
	return rc < 0 ? EXIT_ACCEPTED : rc;
}

/* ---- hmac1 verify ---- */

static void verify_help(FILE *f)
{
	fprintf(f,
		"usage: hmac1 verify (--secret S | --secret-env VAR | --unknown-tenant) --tenant "
		"T\n"
		"                    --timestamp TS --signature SIG [--body STR | --body-file F]\n"
		"                    [--now-ms N] [--suspended] [--format text|json]\n"
		"\n"
		"Checks a request the way the relay does (SPEC.md §4.5, first failure wins:\n"
		"headers, window, signature, tenant_status) and prints the verdict: accepted, or\n"
		"the failed step with its HTTP status and error code; the body hash and signing\n"
		"string the relay computes; and, when the signature does not match, the signature\n"
		"the given secret produces and hints for the classic client bugs (seconds instead\n"
		"of milliseconds, a re-serialized JSON body, uppercase hex, a trimmed secret...).\n"
		"\n"
		"  --secret S         the tenant's current tenant_secret\n"
		"  --secret-env VAR   read the secret from environment variable VAR instead\n"
		"  --unknown-tenant   the relay knows no such tenant (answers like a bad "
		"signature)\n"
		"  --tenant T         the X-Bloonio-Tenant-Id value received\n"
		"  --timestamp TS     the X-Bloonio-Timestamp value received, as text\n"
		"  --signature SIG    the X-Bloonio-Signature value received\n"
		"  --body STR         the exact body received (default: empty)\n"
		"  --body-file F      read the body from F ('-' for stdin)\n"
		"  --now-ms N         the relay's clock in Unix milliseconds (default: now)\n"
		"  --suspended        the tenant is suspended\n"
		"  --format json      one JSON object instead of text\n"
		"\n"
		"Exit 0 when accepted, 1 when refused, 2 on a usage error.\n");
}

static const struct option verify_longopts[] = {
	{"secret", required_argument, NULL, OPT_SECRET},
	{"secret-env", required_argument, NULL, OPT_SECRET_ENV},
	{"unknown-tenant", no_argument, NULL, OPT_UNKNOWN_TENANT},
	{"tenant", required_argument, NULL, OPT_TENANT},
	{"timestamp", required_argument, NULL, OPT_TIMESTAMP},
	{"signature", required_argument, NULL, OPT_SIGNATURE},
	{"body", required_argument, NULL, OPT_BODY},
	{"body-file", required_argument, NULL, OPT_BODY_FILE},
	{"now-ms", required_argument, NULL, OPT_NOW_MS},
	{"suspended", no_argument, NULL, OPT_SUSPENDED},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

#define HINTS_MAX 16
#define HINT_LEN  480

struct hints {
	char text[HINTS_MAX][HINT_LEN];
	size_t n;
};

static void hint(struct hints *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void hint(struct hints *h, const char *fmt, ...)
{
	va_list ap;

	if (h->n >= HINTS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(h->text[h->n++], HINT_LEN, fmt, ap);
	va_end(ap);
}

/* 1 when HMAC#1 over (secret, ts, body) gives sig. */
static int signs_as(const char *secret, size_t secret_len, const char *ts, const void *body,
		    size_t body_len, const char *sig)
{
	struct hmac1_signed s;

	return hmac1_sign_text(secret, secret_len, ts, body, body_len, &s) == RELAY_OK &&
	       strcmp(s.signature, sig) == 0;
}

/* 1 when lowercase hex HMAC-SHA256(secret, msg) is sig (msg need not be a signing string). */
static int hmac_of_is(const char *secret, const void *msg, size_t len, const char *sig)
{
	/* a wrong construction, so not the library's signing path: plain OpenSSL HMAC */
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char hex[HMAC1_HEX_LEN + 1];
	unsigned int i;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, len, mac, &mac_len) == NULL)
		return 0;
	for (i = 0; i < mac_len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return strcmp(hex, sig) == 0;
}

/* Hints for a body that parses as JSON: a re-serialization that the signature matches. */
static void json_hints(const struct opts *o, const char *sig, struct hints *h, char *compact_sha)
{
	static const struct {
		const char *name;
		size_t flags;
	} forms[] = {
		{"compact JSON (JSON.stringify, Go json.Marshal)",
		 JSON_COMPACT | JSON_PRESERVE_ORDER},
		{"compact JSON with \\u escapes",
		 JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER},
		{"Python json.dumps() defaults (\", \" and \": \" separators, \\u escapes)",
		 JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER},
		{"\", \" and \": \" separators with raw UTF-8 (json.dumps(ensure_ascii=False))",
		 JSON_PRESERVE_ORDER},
		{"compact JSON with sorted keys", JSON_COMPACT | JSON_SORT_KEYS},
		{"Python json.dumps(sort_keys=True)", JSON_ENSURE_ASCII | JSON_SORT_KEYS},
		{"pretty-printed JSON, indent 2", JSON_INDENT(2) | JSON_PRESERVE_ORDER},
		{"pretty-printed JSON, indent 4", JSON_INDENT(4) | JSON_PRESERVE_ORDER},
	};
	char seen[sizeof(forms) / sizeof(forms[0])][HMAC1_HEX_LEN + 1];
	json_t *doc = json_loadb((const char *)o->body, o->body_len, JSON_DECODE_ANY, NULL);
	size_t i, k;
	int dup;

	if (doc == NULL)
		return;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *text = json_dumps(doc, forms[i].flags | JSON_ENCODE_ANY);

		seen[i][0] = '\0';
		if (text == NULL || hmac1_sha256_hex(text, strlen(text), seen[i]) != RELAY_OK) {
			free(text);
			continue;
		}
		if (i == 0)
			memcpy(compact_sha, seen[i], HMAC1_HEX_LEN + 1);
		/* forms that serialize this document to the same bytes are reported once */
		for (dup = 0, k = 0; k < i; k++)
			dup |= strcmp(seen[k], seen[i]) == 0;
		if (!dup && sig != NULL && o->secret != NULL &&
		    (strlen(text) != o->body_len || memcmp(text, o->body, o->body_len) != 0) &&
		    signs_as(o->secret, strlen(o->secret), o->timestamp, text, strlen(text), sig))
			hint(h,
			     "the signature matches the body re-serialized as %s: the client "
			     "signed "
			     "one serialization and sent another. Sign the exact bytes you send "
			     "(serialize once, then hash and send that string).",
			     forms[i].name);
		free(text);
	}
	json_decref(doc);
}

/* Hints for a signature mismatch with a known secret. */
static void signature_hints(const struct opts *o, const struct hmac1_verdict *v, struct hints *h,
			    char *compact_sha)
{
	const char *sig = o->signature, *ts = o->timestamp, *secret = o->secret;
	size_t slen = secret != NULL ? strlen(secret) : 0, i, n = h->n;
	char lower[HMAC1_HEX_LEN + 1], alt[HMAC1_SECRET_MAX + 2];
	char seconds[24];
	int64_t tsv = 0;

	json_hints(o, sig, h, compact_sha);
	if (secret == NULL)
		return;
	for (i = 0; i <= HMAC1_HEX_LEN; i++)
		lower[i] = (char)tolower((unsigned char)sig[i]);
	if (!is_lower_hex(sig) && signs_as(secret, slen, ts, o->body, o->body_len, lower))
		hint(h, "the signature is right but in uppercase hex: the relay compares "
			"lowercase hex (Python's hexdigest() is lowercase; Java/C# hex helpers "
			"often are not).");
	if (o->body_len > 0 && signs_as(secret, slen, ts, "", 0, sig))
		hint(h, "the signature was computed over an EMPTY body, but a body was sent: hash "
			"the exact body bytes (empty only for a body-less GET).");
	if (o->body_len > 0 && o->body[o->body_len - 1] == '\n' &&
	    signs_as(secret, slen, ts, o->body, o->body_len - 1, sig))
		hint(h, "the signature was computed without the body's trailing newline.");
	if (signs_as(secret, slen, ts, o->body, o->body_len, sig) == 0 &&
	    o->body_len + 1 <= HMAC1_BODY_FILE_MAX) {
		unsigned char *nl = malloc(o->body_len + 1);

		if (nl != NULL) {
			memcpy(nl, o->body, o->body_len);
			nl[o->body_len] = '\n';
			if (signs_as(secret, slen, ts, nl, o->body_len + 1, sig))
				hint(h, "the signature was computed over the body plus a trailing "
					"newline that was not sent.");
			free(nl);
		}
	}
	/* secret shape */
	if (slen + 1 <= HMAC1_SECRET_MAX) {
		memcpy(alt, secret, slen);
		alt[slen] = '\n';
		if (signs_as(alt, slen + 1, ts, o->body, o->body_len, sig))
			hint(h, "the signature was made with the secret plus a trailing newline "
				"(read from a file or env without trimming?).");
	}
	if (slen > 3 && strncmp(secret, "sk_", 3) == 0 &&
	    signs_as(secret + 3, slen - 3, ts, o->body, o->body_len, sig))
		hint(h,
		     "the signature was made with the secret WITHOUT its \"sk_\" prefix: the key "
		     "is the UTF-8 bytes of the whole tenant_secret string.");
	if (slen > 3 && strncmp(secret, "sk_", 3) == 0 && slen - 3 <= 86) {
		/* base64url-decoded key (a common "helpful" mistake) */
		char b64[96];
		unsigned char raw[72];
		size_t k, m = slen - 3;
		int dec;

		for (k = 0; k < m; k++)
			b64[k] = secret[3 + k] == '-'   ? '+'
				 : secret[3 + k] == '_' ? '/'
							: secret[3 + k];
		while (m % 4 != 0)
			b64[m++] = '=';
		b64[m] = '\0';
		dec = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)m);
		if (dec > 0) {
			while (dec > 0 && m > 0 && b64[m - 1] == '=') {
				dec--;
				m--;
			}
			if (signs_as((const char *)raw, (size_t)dec, ts, o->body, o->body_len, sig))
				hint(h, "the signature was made with the base64url-DECODED secret: "
					"the key is the secret string's own bytes, never decoded.");
		}
	}
	/* signing string shape */
	if (v->signing_string[0] != '\0') {
		char nodot[HMAC1_SIGNING_STRING_MAX + 1];

		snprintf(nodot, sizeof(nodot), "%s%s", ts, v->body_sha256);
		if (hmac_of_is(secret, nodot, strlen(nodot), sig))
			hint(h, "the signing string was built without the \".\" between timestamp "
				"and body hash.");
		if (hmac_of_is(secret, o->body, o->body_len, sig))
			hint(h, "the signature is an HMAC of the raw body: sign the string "
				"\"{timestamp_ms}.{sha256_hex(body)}\" instead.");
		if (cli_parse_ms(ts, &tsv)) {
			snprintf(seconds, sizeof(seconds), "%" PRId64, tsv / 1000);
			if (tsv >= 1000 &&
			    signs_as(secret, slen, seconds, o->body, o->body_len, sig))
				hint(h,
				     "the signature was computed with the timestamp in seconds "
				     "(%s) while the header carries milliseconds: sign the header "
				     "text exactly.",
				     seconds);
		}
		{
			char plain[HMAC1_HEX_LEN + 1];

			if (hmac1_sha256_hex(v->signing_string, strlen(v->signing_string), plain) ==
				    RELAY_OK &&
			    strcmp(plain, sig) == 0)
				hint(h,
				     "the signature is a plain SHA-256 of the signing string, not "
				     "an HMAC keyed with the secret.");
		}
	}
	if (h->n == n)
		hint(h, "no common mistake reproduces the signature: check that the secret is "
			"the tenant's CURRENT one (rotation invalidates the old one at once), "
			"that it belongs to this tenant id, and that the body sent is byte for "
			"byte the body signed.");
}

/* Hints that depend on the step that failed. */
static void step_hints(const struct opts *o, const struct hmac1_verdict *v, struct hints *h,
		       char *compact_sha)
{
	const char *ts = o->timestamp, *sig = o->signature;
	size_t tlen = strlen(ts), slen = strlen(sig);
	int64_t tsv = 0;
	int digits = cli_parse_ms(ts, &tsv);

	if (digits && tlen <= 11) {
		int64_t d = o->now_ms - tsv * 1000;

		hint(h,
		     "X-Bloonio-Timestamp has %zu digits: it looks like Unix SECONDS%s. The relay "
		     "wants milliseconds (13 digits today), e.g. Python str(int(time.time() * "
		     "1000)).",
		     tlen,
		     d >= -HMAC1_WINDOW_MS && d <= HMAC1_WINDOW_MS
			     ? " (x1000 it is inside the window)"
			     : "");
	} else if (digits && tlen >= 15 && tlen <= 16) {
		hint(h,
		     "X-Bloonio-Timestamp has %zu digits: it looks like micro- or nanoseconds; "
		     "the relay wants milliseconds.",
		     tlen);
	}
	switch (v->failed_step) {
	case HMAC1_STEP_HEADERS:
		if (strchr(ts, '.') != NULL)
			hint(h, "the timestamp has a fraction: send an integer number of "
				"milliseconds.");
		if (slen != HMAC1_HEX_LEN && (slen == 43 || slen == 44))
			hint(h,
			     "the signature is %zu characters: it looks like base64; the relay "
			     "wants 64 lowercase hex characters.",
			     slen);
		else if (slen != HMAC1_HEX_LEN)
			hint(h, "the signature is %zu characters; HMAC-SHA256 in hex is 64.", slen);
		if (strlen(o->tenant) > HMAC1_TENANT_MAX)
			hint(h, "the tenant id is %zu bytes; the relay refuses more than 128.",
			     strlen(o->tenant));
		break;
	case HMAC1_STEP_WINDOW:
		hint(h,
		     "the timestamp is %" PRId64 " ms %s the relay's clock (allowed: 30000). "
		     "Sync the client's clock (NTP) and sign right before sending; never reuse a "
		     "signature.",
		     v->skew_ms > 0 ? v->skew_ms : -v->skew_ms,
		     v->skew_ms > 0 ? "behind" : "ahead of");
		break;
	case HMAC1_STEP_SIGNATURE:
		if (o->unknown_tenant)
			hint(h,
			     "the relay knows no tenant \"%s\", and answers that exactly like a "
			     "bad signature (401 invalid_signature) so as not to reveal tenants.",
			     o->tenant);
		signature_hints(o, v, h, compact_sha);
		break;
	case HMAC1_STEP_TENANT_STATUS:
		hint(h, "the signature is correct; the tenant is suspended (403) until an admin "
			"calls POST /api/v1/reactivate/tenant.");
		break;
	default:
		break;
	}
}

static int cmd_verify(int argc, char **argv)
{
	struct hmac1_headers hd;
	struct hmac1_verdict v;
	struct hmac1_signed expected;
	struct hints h;
	struct opts o;
	char compact_sha[HMAC1_HEX_LEN + 1] = "";
	int have_expected = 0, rc;
	size_t i;
	json_t *j = NULL, *jh;

	memset(&h, 0, sizeof(h));
	rc = parse_opts("verify", argc, argv, verify_longopts, verify_help, &o);
	if (rc != 0)
		goto out;
	rc = EXIT_USAGE;
	if (o.secret == NULL && !o.unknown_tenant) {
		usage_error("verify", "give --secret, --secret-env or --unknown-tenant");
		goto out;
	}
	if (o.timestamp == NULL || o.signature == NULL) {
		usage_error("verify", "--timestamp and --signature are required");
		goto out;
	}
	if (!o.have_now)
		o.now_ms = relay_clock_real_ms();

	hmac1_headers_init(&hd);
	hmac1_headers_add(&hd, HMAC1_HEADER_TENANT, o.tenant);
	hmac1_headers_add(&hd, HMAC1_HEADER_TIMESTAMP, o.timestamp);
	hmac1_headers_add(&hd, HMAC1_HEADER_SIGNATURE, o.signature);
	(void)hmac1_verify(&hd, o.body, o.body_len, o.now_ms, o.secret,
			   o.secret != NULL ? strlen(o.secret) : 0, o.suspended, &v);
	/* what the given secret signs, whatever step failed, when the timestamp is usable */
	if (o.secret != NULL && strlen(o.secret) <= HMAC1_SECRET_MAX && o.timestamp[0] != '\0' &&
	    strlen(o.timestamp) <= 20 &&
	    hmac1_sign_text(o.secret, strlen(o.secret), o.timestamp, o.body, o.body_len,
			    &expected) == RELAY_OK)
		have_expected = 1;
	if (v.rc != RELAY_OK)
		step_hints(&o, &v, &h, compact_sha);
	else
		json_hints(&o, NULL, &h, compact_sha);

	if (o.json) {
		j = json_object();
		json_object_set_new(j, "verdict",
				    json_string(v.rc == RELAY_OK ? "accepted" : "refused"));
		json_object_set_new(j, "failed_step",
				    v.rc == RELAY_OK ? json_null()
						     : json_string(hmac1_step_name(v.failed_step)));
		json_object_set_new(j, "status", json_integer(relay_rc_status(v.rc)));
		json_object_set_new(j, "error",
				    v.rc == RELAY_OK ? json_null()
						     : json_string(relay_rc_code(v.rc)));
		json_object_set_new(j, "detail", json_string(v.detail));
		json_object_set_new(j, "now_ms", json_integer(o.now_ms));
		json_object_set_new(j, "timestamp", json_string(o.timestamp));
		json_object_set_new(j, "skew_ms",
				    v.failed_step == HMAC1_STEP_HEADERS ? json_null()
									: json_integer(v.skew_ms));
		json_object_set_new(j, "body_length", json_integer((json_int_t)o.body_len));
		json_object_set_new(j, "body_sha256", json_string(v.body_sha256));
		json_object_set_new(j, "compact_json_sha256",
				    compact_sha[0] != '\0' ? json_string(compact_sha)
							   : json_null());
		json_object_set_new(j, "signing_string",
				    v.signing_string[0] != '\0' ? json_string(v.signing_string)
								: json_null());
		json_object_set_new(j, "received_signature", json_string(o.signature));
		json_object_set_new(j, "expected_signature",
				    have_expected ? json_string(expected.signature) : json_null());
		jh = json_array();
		for (i = 0; i < h.n; i++)
			json_array_append_new(jh, json_string(h.text[i]));
		json_object_set_new(j, "hints", jh);
		if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
			fprintf(stderr, "hmac1 verify: a value is not valid UTF-8\n");
		putchar('\n');
	} else {
		if (v.rc == RELAY_OK)
			printf("verdict          accepted (200)\n");
		else
			printf("verdict          refused at step %d (%s): %d %s\n",
			       (int)v.failed_step, hmac1_step_name(v.failed_step),
			       relay_rc_status(v.rc), relay_rc_code(v.rc));
		if (v.detail != NULL && v.detail[0] != '\0')
			printf("reason           %s\n", v.detail);
		printf("now_ms           %" PRId64 "%s\n", o.now_ms,
		       o.have_now ? "" : " (this machine's clock)");
		if (v.failed_step == HMAC1_STEP_HEADERS)
			printf("timestamp        %s\n", o.timestamp);
		else
			printf("timestamp        %s (skew %+" PRId64 " ms, window ±%d ms)\n",
			       o.timestamp, v.skew_ms, HMAC1_WINDOW_MS);
		printf("body             %zu bytes\n", o.body_len);
		printf("body_sha256      %s\n", v.body_sha256);
		if (compact_sha[0] != '\0')
			printf("compact JSON     %s (%s)\n", compact_sha,
			       strcmp(compact_sha, v.body_sha256) == 0
				       ? "the body is already compact JSON"
				       : "sha256 of the body re-serialized compactly; differs");
		printf("signing_string   %s\n",
		       v.signing_string[0] != '\0' ? v.signing_string
						   : "(none: the timestamp is not 1-16 digits)");
		printf("received sig     %s\n", o.signature);
		if (have_expected)
			printf("expected sig     %s (HMAC-SHA256 of that signing string with the "
			       "given secret)\n",
			       expected.signature);
		if (h.n > 0) {
			printf("hints:\n");
			for (i = 0; i < h.n; i++)
				printf("  - %s\n", h.text[i]);
		}
	}
	rc = v.rc == RELAY_OK ? EXIT_ACCEPTED : EXIT_REFUSED;
out:
	json_decref(j);
	free(o.body);
	return rc < 0 ? EXIT_ACCEPTED : rc;
}

/* ---- main ---- */

static void main_help(FILE *f)
{
	fprintf(f, "usage: hmac1 COMMAND [OPTIONS]\n"
		   "\n"
		   "HMAC#1 for the Bloonio Chat Relay (SPEC.md §4):\n"
		   "  sign      sign a request and print every intermediate value\n"
		   "  verify    check a request as the relay does and explain a refusal\n"
		   "  vectors   run vector files (vectors/*.json) through the library\n"
		   "\n"
		   "'hmac1 COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "vectors") == 0)
		return hmac1_vectors_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		main_help(stdout);
		return EXIT_ACCEPTED;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("hmac1 %s\n", RELAY_VERSION);
		return EXIT_ACCEPTED;
	}
	fprintf(stderr, "hmac1: unknown command \"%s\"\n", argv[1]);
	main_help(stderr);
	return EXIT_USAGE;
}
