/*
 * size.c - util-linux's size syntax, exactly.
 *
 * digits ["." digits] [K M G T P E Z Y, any case, optionally followed by
 * "iB" (powers of 1024, as without it) or "B" (powers of 1000)].  The
 * value is floor(number x multiplier), computed without rounding: the
 * multiplier (at most 1024^8 = 2^80) and every intermediate fit in 128
 * bits, and the fraction is folded in digit by digit from the last one,
 * using floor(floor(x) / 10) = floor(x / 10), so any number of fraction
 * digits counts.  Only a result of 2^64 or more is out of range.
 */
#include "opts.h"

#include <errno.h>
#include <string.h>

typedef unsigned __int128 u128;

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The multiplier of the suffix at *p (advanced past it), or 0. */
static u128
suffix(const char **p)
{
	static const char letters[] = "KMGTPEZY";
	const char *s = *p, *l;
	char c = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
	u128 mult = 1;
	unsigned base = 1024;

	if (!c)
		return 1;
	if (!(l = strchr(letters, c)))
		return 0;
	s++;
	if (s[0] == 'i' && (s[1] == 'B' || s[1] == 'b')) {
		s += 2;
	} else if (s[0] == 'B' || s[0] == 'b') {
		base = 1000;
		s++;
	}
	if (*s)
		return 0;
	for (long i = 0; i <= l - letters; i++)
		mult *= base;
	*p = s;
	return mult;
}

int
parse_size(const char *s, uintmax_t *out)
{
	const char *p = s, *frac = NULL;
	size_t nfrac = 0;
	u128 val = 0, mult, part = 0;
	int overflow = 0;

	if (!is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		val = val * 10 + (unsigned)(*p - '0');
		if (val > UINTMAX_MAX)
			overflow = 1, val = (u128)UINTMAX_MAX + 1;
	}
	if (*p == '.') {
		frac = ++p;
		if (!is_digit(*p))
			return -EINVAL;
		while (is_digit(*p))
			p++;
		nfrac = (size_t)(p - frac);
	}
	if (!(mult = suffix(&p)))
		return -EINVAL;
	if (overflow || (val && mult > UINTMAX_MAX / val))
		return -ERANGE;
	/* floor(0.d1..dn x mult): u = d_i x mult + floor(u / 10), from dn */
	for (size_t i = nfrac; i-- > 0;)
		part = (unsigned)(frac[i] - '0') * mult + part / 10;
	part /= 10;
	val = val * mult + part;
	if (val > UINTMAX_MAX)
		return -ERANGE;
	*out = (uintmax_t)val;
	return 0;
}
