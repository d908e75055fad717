/* xml.h - text escaped for XML and HTML (junit.xml, index.html). */
#ifndef HARNESS_XML_H
#define HARNESS_XML_H

#include <stdio.h>

/* Writes s with &, <, >, " and ' escaped for XML/HTML text and attributes; control
 * characters other than tab and newline are dropped. */
void xml_str(FILE *f, const char *s);

#endif
