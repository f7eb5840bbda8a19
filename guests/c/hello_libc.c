/*
 * hello_libc: a C guest that uses wasi-libc the ordinary way: printf to
 * stdout and stderr (the guest's log), exit(), snprintf and string
 * functions, malloc/free.
 *
 * Built by ../build.sh with the plain flags and nothing else (the header
 * exports run):
 *
 *   clang-14 --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry \
 *            -o hello_libc.wasm hello_libc.c
 *
 * It answers by path:
 *   .../exit0... sets 200 and the body "exiting with 0", then exit(0): the
 *                response built so far is sent
 *   .../exit3... exit(3): answered 500 like a panic
 *   otherwise   200, content-type text/plain, body
 *               "Hello from libc! path=<path> len=<n> upper=<PATH>"
 * and logs one printf line per request.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_hostcalls.h"

void run(void)
{
    char  *path     = NULL;
    size_t path_len = 0U;

    hostcall_init_mm(malloc, free);
    hostcall_req_get_path(&path, &path_len, REQUEST_INCOMING);
    if (path == NULL) {
        fprintf(stderr, "hello_libc: no path\n");
        exit(2);
    }
    printf("hello_libc: %s (%zu bytes)\n", path, path_len);

    if (strstr(path, "/exit0") != NULL) {
        resp_set_body_text("exiting with 0");
        hostcall_resp_set_response_code(RESPONSE_OUTGOING, 200);
        exit(0);
    }
    if (strstr(path, "/exit3") != NULL) {
        fprintf(stderr, "hello_libc: exiting with 3\n");
        exit(3);
    }

    char *upper = strdup(path);
    for (char *p = upper; *p != '\0'; p++) {
        *p = (char) toupper((unsigned char) *p);
    }
    char body[256];
    snprintf(body, sizeof body, "Hello from libc! path=%s len=%zu upper=%s", path,
             strlen(path), upper);
    free(upper);
    free(path);

    resp_set_header_value("content-type", "text/plain", strlen("text/plain"));
    resp_set_body_text(body);
    hostcall_resp_set_response_code(RESPONSE_OUTGOING, 200);
}
