/*
 * keysort.h - the engine's sort keys and their in-place sort (internal).
 *
 * A member of a range being refined is sorted by the hash of its block,
 * then by its position; the same sort orders sub-classes by label (the
 * label is put in the hash field first).  The order is total (positions
 * are distinct), so any correct sort gives the one answer qsort gave.
 *
 * Why not qsort: glibc's qsort is a merge sort that mallocs a copy of the
 * whole array when it is large, which at the peak of a huge group was as
 * much memory as the keys themselves; and it calls the comparison through
 * a pointer.  This one is an introsort (quicksort with a median of three,
 * insertion sort for short parts, heapsort when the recursion gets too
 * deep), in place, with the comparison inlined.
 */
#ifndef HL_KEYSORT_H
#define HL_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * 16 bytes.  Positions and labels are 32-bit: the engine refuses groups
 * of more than KEY_MAX_MEMBERS members (hlcore.h's -ENOMEM).
 */
struct keyed {
	uint64_t hash;
	uint32_t pos;	     /* slot in the range, then member index */
	uint32_t label : 31; /* sub-class number */
	uint32_t rep : 1;    /* first of its label (step_equal: differs) */
};

_Static_assert(sizeof(struct keyed) == 16, "struct keyed is 16 bytes");

#define KEY_MAX_MEMBERS ((size_t)INT32_MAX)

/* (hash, pos) order */
static inline int
key_less(const struct keyed *a, const struct keyed *b)
{
	if (a->hash != b->hash)
		return a->hash < b->hash;
	return a->pos < b->pos;
}

static inline void
key_swap(struct keyed *a, struct keyed *b)
{
	struct keyed t = *a;

	*a = *b;
	*b = t;
}

static inline void
key_insertion(struct keyed *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct keyed t = k[i];
		size_t j = i;

		for (; j > 0 && key_less(&t, &k[j - 1]); j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

static inline void
key_sift(struct keyed *k, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && key_less(&k[child], &k[child + 1]))
			child++;
		if (!key_less(&k[root], &k[child]))
			return;
		key_swap(&k[root], &k[child]);
	}
}

static inline void
key_heapsort(struct keyed *k, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		key_sift(k, i, n);
	for (size_t i = n; i-- > 1;) {
		key_swap(&k[0], &k[i]);
		key_sift(k, 0, i);
	}
}

#define KEY_INSERTION_MAX 16

/*
 * Quicksort on [0, n) that recurses into the smaller part and loops on
 * the larger one (stack depth at most log2 n), handing a part to heapsort
 * once depth reaches 0.
 */
static inline void
key_introsort(struct keyed *k, size_t n, unsigned depth)
{
	while (n > KEY_INSERTION_MAX) {
		struct keyed *lo = k, *mid = k + n / 2, *hi = k + n - 1;
		size_t i, j;

		if (depth-- == 0) {
			key_heapsort(k, n);
			return;
		}
		/* median of three into k[0]; k[n-1] >= pivot >= ... */
		if (key_less(mid, lo))
			key_swap(mid, lo);
		if (key_less(hi, mid))
			key_swap(hi, mid);
		if (key_less(mid, lo))
			key_swap(mid, lo);
		key_swap(lo, mid);
		/* Hoare partition around k[0]; keys are distinct */
		i = 0;
		j = n;
		for (;;) {
			while (key_less(&k[++i], &k[0]))
				;
			while (key_less(&k[0], &k[--j]))
				;
			if (i >= j)
				break;
			key_swap(&k[i], &k[j]);
		}
		key_swap(&k[0], &k[j]);
		/* [0, j) < pivot at j < (j, n) */
		if (j < n - 1 - j) {
			key_introsort(k, j, depth);
			k += j + 1;
			n -= j + 1;
		} else {
			key_introsort(k + j + 1, n - 1 - j, depth);
			n = j;
		}
	}
	key_insertion(k, n);
}

/* Sorts k[0..n) by (hash, pos); pos must be distinct. */
static inline void
keys_sort(struct keyed *k, size_t n)
{
	unsigned depth = 0;

	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	key_introsort(k, n, depth);
}

#endif
