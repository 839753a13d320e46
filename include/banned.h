#ifndef BANNED_H
#define BANNED_H

/*
 * banned.h - C library functions this project does not call, made compile
 * errors (as git's banned.h does): a call expands to an undeclared name,
 * sorry_FUNC_is_a_banned_function.  Not installed and not part of the
 * library's interface; src/util.h (which every module of the command
 * includes, but sig.c and cleanup.c, which include this directly),
 * lib/engine.c and lib/pool.c include it last.
 *
 * Why each is banned, and what to use instead:
 *   strcpy, strcat, strncpy, strncat   unbounded, or bounded without
 *       saying so (strncpy leaves no NUL when the source is long): copy a
 *       known length with memcpy into a buffer sized for it, or snprintf
 *       and check the result.
 *   sprintf, vsprintf                  unbounded: snprintf, vsnprintf.
 *   gets                               unbounded (gone from C11).
 *   strtok, strtok_r                   write into their argument, and
 *       strtok keeps hidden state: strchr, strspn, strcspn.
 *   gmtime, localtime, ctime, asctime, and ctime_r, asctime_r
 *                                      static result buffers (this program
 *       has threads) or unbounded output: gmtime_r, localtime_r, strftime.
 *   atoi, atol, atoll, atof            no error detection: strtol family
 *       with errno and an end pointer (src/opts.c, src/size.c).
 *   tmpnam, tempnam, mktemp            name races: mkstemp, or O_EXCL
 *       and a fresh random name (src/replace.c).
 *   rand, srand                        shared state, weak: getrandom.
 *   alloca                             unbounded stack use (-Wvla bans
 *       its other form): malloc.
 *
 * The headers that declare them come first, so that a system header
 * included after this one is
 * already read and its prototypes are not mangled.  Function-like macros
 * catch calls only: a struct member named ctime is untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)

#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)

#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef strtok_r
#define strtok_r(x, y, z) BANNED(strtok_r)

#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef ctime_r
#define ctime_r(t, buf) BANNED(ctime_r)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef asctime_r
#define asctime_r(t, buf) BANNED(asctime_r)

#undef atoi
#define atoi(s) BANNED(atoi)
#undef atol
#define atol(s) BANNED(atol)
#undef atoll
#define atoll(s) BANNED(atoll)
#undef atof
#define atof(s) BANNED(atof)

#undef tmpnam
#define tmpnam(s) BANNED(tmpnam)
#undef tempnam
#define tempnam(d, p) BANNED(tempnam)
#undef mktemp
#define mktemp(t) BANNED(mktemp)

#undef rand
#define rand() BANNED(rand)
#undef srand
#define srand(s) BANNED(srand)

#undef alloca
#define alloca(n) BANNED(alloca)

#endif /* BANNED_H */
