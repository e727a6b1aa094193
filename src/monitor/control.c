#include "monitor/control.h"

#include <stdio.h>

void control_error_vset(struct control_error *err, const char *cls, const char *fmt, va_list ap)
{
	err->cls = cls;
	vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
}

void control_error_set(struct control_error *err, const char *cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	control_error_vset(err, cls, fmt, ap);
	va_end(ap);
}
