/*
 * OSQP 0.6.3 is built by osqp-sys with PRINTING on, and prints with printf,
 * puts and putchar (gcc turns some printf calls into the latter two). The
 * addon is linked with -Wl,--wrap for those three symbols, so OSQP's calls land
 * here: they are dropped unless the calling thread has enabled printing (the
 * solver's `verbose` setting), and then go to stderr, never to stdout.
 */
#include <stdarg.h>
#include <stdio.h>

static _Thread_local int af_osqp_print_enabled = 0;

void af_osqp_set_print_enabled(int enabled) { af_osqp_print_enabled = enabled; }

int __wrap_printf(const char *format, ...) {
  int written;
  va_list args;
  if (!af_osqp_print_enabled) return 0;
  va_start(args, format);
  written = vfprintf(stderr, format, args);
  va_end(args);
  return written;
}

int __wrap_puts(const char *s) {
  if (!af_osqp_print_enabled) return 0;
  if (fputs(s, stderr) == EOF) return EOF;
  return fputc('\n', stderr) == EOF ? EOF : 1;
}

int __wrap_putchar(int c) {
  if (!af_osqp_print_enabled) return c;
  return fputc(c, stderr);
}
