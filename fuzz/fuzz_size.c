/*
 * fuzz_size.c - parse_size (src/size.c) against an exact reading of the
 * size syntax the man page documents:
 *
 *   digits ["." digits] [K|M|G|T|P|E|Z|Y [iB|B]]   (letter in any case,
 *   "iB" also "ib", "B" also "b": powers of 1024, or of 1000 with B)
 *
 * "A value that cannot be parsed, or that does not fit in 64 bits, is a
 * usage error": the oracle computes floor(number x multiplier) exactly,
 * in long arithmetic, and expects -ERANGE for a value of 2^64 or more,
 * otherwise that value; a string outside the syntax must fail, with
 * -EINVAL or, when its leading digits alone already overflow, -ERANGE
 * (both reasons are true).  parse_size must not write its result on
 * failure.
 *
 * src/size.c is compiled in; it calls nothing else of the command.
 */
#include "opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a natural number in 32-bit limbs, least significant first ------- */

struct big {
	uint32_t *l;
	size_t n;
};

static void
big_mul_add(struct big *b, uint32_t m, uint32_t a)
{
	uint64_t carry = a;

	for (size_t i = 0; i < b->n; i++) {
		uint64_t x = (uint64_t)b->l[i] * m + carry;

		b->l[i] = (uint32_t)x;
		carry = x >> 32;
	}
	if (carry)
		b->l[b->n++] = (uint32_t)carry;
}

static void
big_div(struct big *b, uint32_t d)
{
	uint64_t rem = 0;

	for (size_t i = b->n; i-- > 0;) {
		uint64_t x = rem << 32 | b->l[i];

		b->l[i] = (uint32_t)(x / d);
		rem = x % d;
	}
	while (b->n && !b->l[b->n - 1])
		b->n--;
}

/*
 * The oracle: 0 with *out set, -EINVAL or -ERANGE.  *lead_big tells
 * whether the leading digits alone are 2^64 or more.
 */
static int
exact_size(const char *s, uintmax_t *out, int *lead_big)
{
	static const char letters[] = "KMGTPEZY";
	size_t len = strlen(s), i = 0, nfrac = 0, power = 0;
	unsigned base = 1024;
	struct big b;
	int rc = 0;

	if (!(s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	/* enough limbs: every digit and multiplier adds fewer than 32 bits */
	b.l = calloc(len + 16, sizeof(*b.l));
	if (!b.l)
		abort();
	b.n = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		big_mul_add(&b, 10, (uint32_t)(s[i] - '0'));
	*lead_big = b.n > 2;
	if (s[i] == '.') {
		i++;
		if (!(s[i] >= '0' && s[i] <= '9'))
			rc = -EINVAL;
		for (; s[i] >= '0' && s[i] <= '9'; i++, nfrac++)
			big_mul_add(&b, 10, (uint32_t)(s[i] - '0'));
	}
	if (!rc && s[i]) {
		const char *l = s[i] ? strchr(letters, s[i] & ~0x20) : NULL;

		if (!l || (s[i] & ~0x20) < 'A' || (s[i] & ~0x20) > 'Z')
			rc = -EINVAL;
		else {
			power = (size_t)(l - letters) + 1;
			i++;
			if (s[i] == 'i' && (s[i + 1] == 'B' || s[i + 1] == 'b'))
				i += 2;
			else if (s[i] == 'B' || s[i] == 'b') {
				base = 1000;
				i++;
			}
			if (s[i])
				rc = -EINVAL;
		}
	}
	if (!rc) {
		for (size_t k = 0; k < power; k++)
			big_mul_add(&b, base, 0);
		for (size_t k = 0; k < nfrac; k++)
			big_div(&b, 10);
		if (b.n > 2)
			rc = -ERANGE;
		else
			*out = (uintmax_t)(b.n > 1 ? b.l[1] : 0) << 32 |
			       (b.n ? b.l[0] : 0);
	}
	free(b.l);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uintmax_t sentinel = 0x5a5a5a5a5a5a5a5aULL;
	uintmax_t got = sentinel, want = 0;
	char *s = malloc(size + 1);
	int rc, wrc, lead_big = 0;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	rc = parse_size(s, &got);
	wrc = exact_size(s, &want, &lead_big);
	if (wrc == -EINVAL && lead_big && rc == -ERANGE)
		wrc = -ERANGE;
	if (rc != wrc || (rc == 0 && got != want) ||
	    (rc != 0 && got != sentinel)) {
		fprintf(stderr,
			"fuzz_size: \"%s\": parse_size %d %ju, "
			"exact %d %ju\n",
			s, rc, got, wrc, want);
		abort();
	}
	free(s);
	return 0;
}
