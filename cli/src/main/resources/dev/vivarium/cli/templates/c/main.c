/*
 * {{name}}: a Vivarium guest in C (the ABI: http_hostcalls.h, guests/ABI.md).
 *
 * The host calls run() once per request. wasi-libc works: printf goes to the
 * guest's log (`vivarium logs {{name}}`), exit(0) sends the response built so
 * far, any other exit code is answered 500. `vivarium build` runs
 *
 *   clang-14 --target=wasm32-wasi -O2 -Isrc -c -o target/obj/main.c.o src/main.c
 *   clang-14 --target=wasm32-wasi -nostartfiles -Wl,--no-entry \
 *            -o target/{{name}}.wasm target/obj/main.c.o
 *
 * (the plain one-step build with the same flags works too).
 *
 * Edit the greeting and save: `vivarium dev` rebuilds and reloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_hostcalls.h"

static const char GREETING[] = "Hello from {{name}}!\n";

void run(void)
{
    char  *path     = NULL;
    size_t path_len = 0U;

    /* The host allocates what the getters return with our malloc. */
    hostcall_init_mm(malloc, free);
    hostcall_req_get_path(&path, &path_len, REQUEST_INCOMING);
    printf("{{name}}: %s\n", path == NULL ? "?" : path);
    free(path);

    struct string_slice type = { .ptr = "text/plain", .len = strlen("text/plain") };
    hostcall_resp_set_header(RESPONSE_OUTGOING, "content-type", strlen("content-type"), &type, 1U);
    hostcall_resp_set_body(RESPONSE_OUTGOING, GREETING, strlen(GREETING));
    hostcall_resp_set_response_code(RESPONSE_OUTGOING, 200);
}
