/* json.h - the few helpers the harness needs to write JSON and XML safely. */
#ifndef HARNESS_JSON_H
#define HARNESS_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal (quotes included), escaping what JSON requires. */
void json_str(FILE *f, const char *s);

/* Writes a number, or null when it is not finite. */
void json_num(FILE *f, double v);

/* Writes s with &, <, >, " and ' escaped for XML/HTML text and attributes; control
 * characters other than tab and newline are dropped. */
void xml_str(FILE *f, const char *s);

#endif
