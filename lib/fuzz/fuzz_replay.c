/*
 * fuzz_replay.c - runs one fuzz target over files, without libFuzzer.
 *
 *   fuzz_replay_<target> DIR|FILE...
 *
 * Each file is fed whole, then every prefix of it (files up to 4 KiB) and every
 * one-byte deletion (files up to 512 bytes), so the seed corpus exercises the
 * target's edges on every ctest run, deterministically. Exits 1 when no input was
 * found; a broken invariant aborts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define FILE_MAX (1024 * 1024)

static size_t runs;

static void run(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees reads past the end */
	uint8_t *copy = malloc(size > 0 ? size : 1);

	if (copy == NULL) {
		perror("fuzz_replay");
		exit(2);
	}
	if (size > 0)
		memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
	runs++;
}

static int replay_file(const char *path)
{
	uint8_t *buf, *del;
	size_t n, k;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	buf = malloc(FILE_MAX);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, FILE_MAX, f);
	fclose(f);
	run(buf, n);
	if (n <= 4096) {
		for (k = 0; k < n; k++)
			run(buf, k);
	}
	if (n <= 512 && n > 0) {
		del = malloc(n);
		for (k = 0; del != NULL && k < n; k++) {
			memcpy(del, buf, k);
			memcpy(del + k, buf + k + 1, n - k - 1);
			run(del, n - 1);
		}
		free(del);
	}
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of dir in name order; returns the number of files. */
static int replay_dir(const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	int files = 0;

	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 64) * sizeof(*names));

			if (nn == NULL)
				break;
			names = nn;
			cap = cap ? cap * 2 : 64;
		}
		names[n] = strdup(e->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && replay_file(path) == 0)
			files++;
		free(names[i]);
	}
	free(names);
	return files;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, files = 0, r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : (replay_file(argv[i]) == 0);
		if (r < 0)
			return 1;
		files += r;
	}
	printf("fuzz_replay: %zu inputs from %d files\n", runs, files);
	return files > 0 ? 0 : 1;
}
