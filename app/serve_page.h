/* serve_page.h - the chat page `serve` answers at GET / (docs/serve.md): an HTML page, its
 * script and its style sheet, served from the program itself (nothing fetched from outside;
 * the Content-Security-Policy allows only the server's own script and style). The script
 * inserts generated text with textContent: it is shown as text, never read as HTML. */
#ifndef APP_SERVE_PAGE_H
#define APP_SERVE_PAGE_H

extern const char serve_page_html[];
extern const char serve_page_js[];
extern const char serve_page_css[];
/* the header every page resource is sent with */
extern const char serve_page_csp[];

#endif
