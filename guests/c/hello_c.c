/*
 * hello_c: a C guest for Vivarium (Terrarium-compatible ABI).
 *
 * Answers every request with 200, `content-type: text/plain`, a header
 * `x-path` holding the request's path (with query string), and the body
 * `Hello from C!`.
 *
 * Built by ../build.sh as a wasm32-wasi *reactor* against wasi-libc:
 *
 *   clang-14 --target=wasm32-wasi -mexec-model=reactor -O2 -fuse-ld=lld \
 *            -Wl,--export-table -o hello_c.wasm hello_c.c
 *
 * (--export-table keeps the function table that hostcall_init_mm's malloc
 * and free indices point into; see http_hostcalls.h.)
 *
 * The module exports `_initialize` (the host calls it before `run`),
 * `run` and `memory`, and imports only hostcalls from module "env": it
 * uses malloc/free/strlen from wasi-libc, which need no WASI imports, and
 * avoids stdio, which would.
 */
#include <stdlib.h>
#include <string.h>

#include "http_hostcalls.h"

__attribute__((export_name("run"))) void run(void)
{
    static const char body[] = "Hello from C!";
    char             *path   = NULL;
    size_t            path_len = 0U;

    /* The host allocates the path with our malloc; we free it. */
    hostcall_init_mm(malloc, free);

    hostcall_req_get_path(&path, &path_len, REQUEST_INCOMING);
    if (path != NULL) {
        resp_set_header_value("x-path", path, path_len);
        free(path);
    }
    resp_set_header_value("content-type", "text/plain", strlen("text/plain"));
    hostcall_resp_set_body(RESPONSE_OUTGOING, body, sizeof body - 1U);
    hostcall_resp_set_response_code(RESPONSE_OUTGOING, 200);
}
