/*
 * errtext.c - hl_strerror: the text of an error code, safely from any
 * thread.
 *
 * strerror() may format unknown codes into a buffer it shares between
 * calls (glibc keeps one per thread; POSIX lets it be one per process), so
 * a library cannot hand its result to a caller who keeps it.  glibc 2.32
 * and later have strerrordesc_np(), which returns its static, untranslated
 * table entry or NULL; elsewhere (musl, older glibc, or a build with
 * HL_ERRTEXT_TABLE, which the unit tests use to check this table against
 * strerror) a table of the codes that opening and reading a file can give
 * stands in, in glibc's wording.
 */
#include "hlcore.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#if !defined(HAVE_STRERRORDESC_NP) || defined(HL_ERRTEXT_TABLE)
static const struct {
	int code;
	const char *text;
} table[] = {
	{EPERM, "Operation not permitted"},
	{ENOENT, "No such file or directory"},
	{EINTR, "Interrupted system call"},
	{EIO, "Input/output error"},
	{ENXIO, "No such device or address"},
	{EBADF, "Bad file descriptor"},
	{EAGAIN, "Resource temporarily unavailable"},
	{ENOMEM, "Cannot allocate memory"},
	{EACCES, "Permission denied"},
	{EFAULT, "Bad address"},
	{EBUSY, "Device or resource busy"},
	{ENODEV, "No such device"},
	{ENOTDIR, "Not a directory"},
	{EISDIR, "Is a directory"},
	{EINVAL, "Invalid argument"},
	{ENFILE, "Too many open files in system"},
	{EMFILE, "Too many open files"},
	{ETXTBSY, "Text file busy"},
	{EFBIG, "File too large"},
	{ESPIPE, "Illegal seek"},
	{ENAMETOOLONG, "File name too long"},
	{ELOOP, "Too many levels of symbolic links"},
	{EOVERFLOW, "Value too large for defined data type"},
	{EOPNOTSUPP, "Operation not supported"},
	{ETIMEDOUT, "Connection timed out"},
	{ESTALE, "Stale file handle"},
	{ECANCELED, "Operation canceled"},
};

static const char *
errtext(int code)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].code == code)
			return table[i].text;
	}
	return NULL;
}
#else
static const char *
errtext(int code)
{
	return strerrordesc_np(code);
}
#endif

const char *
hl_strerror(int err)
{
	const char *s;

	if (err == INT_MIN)
		return "Unknown error";
	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	if (err == HL_ECHANGED)
		return "File changed while it was read";
	s = errtext(err);
	return s ? s : "Unknown error";
}
