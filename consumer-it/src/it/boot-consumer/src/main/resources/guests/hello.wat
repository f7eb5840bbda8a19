;; hello.wat - a Vivarium (Terrarium-compatible) guest written by hand.
;;
;; A teaching template for the raw guest ABI (see ../ABI.md). It answers
;; every request with:
;;
;;     HTTP/1.1 200 OK
;;     content-type: text/plain
;;
;;     Hello, world!
;;
;; How a guest works:
;;   * The host instantiates the module once per request, calls the exported
;;     function `run` (no parameters, no results), then reads the outgoing
;;     response it built and throws the instance away.
;;   * Everything the guest can do, it does through "hostcalls": functions
;;     imported from module "env". Pointers, lengths, handles and status
;;     values are all i32.
;;   * This guest only *gives* data to the host (status, header, body), so it
;;     never needs the host to allocate memory in the guest and therefore does
;;     not call `hostcall_init_mm`. A guest that *reads* anything (request
;;     path, headers, body, KV values, ...) must first register a malloc and
;;     a free with `hostcall_init_mm` (see ../c/hello_c.c or the Rust SDK).
;;   * The memory is NOT exported: the host reaches it anyway. (Exporting it
;;     is fine too; Rust and C guests do.)
;;
;; Vivarium converts .wat files itself; to check this file by hand:
;;     wat2wasm hello.wat -o /tmp/hello_wat.wasm
(module
  ;; ---- Imports: only the hostcalls this guest uses -----------------------
  ;;
  ;; hostcall_resp_set_response_code(resp: i32, code: i32) -> status: i32
  ;;   resp 0 is the outgoing response; status 0 = ok, 1 = invalid.
  (import "env" "hostcall_resp_set_response_code"
    (func $resp_set_response_code (param i32 i32) (result i32)))

  ;; hostcall_resp_set_header(resp, name_ptr, name_len, values_ptr, values_len) -> status
  ;;   Replaces header `name` with `values_len` values. `values_ptr` points
  ;;   to an array of GuestSlices: 8 bytes each, (i32 ptr, i32 len),
  ;;   little-endian, each describing one value.
  (import "env" "hostcall_resp_set_header"
    (func $resp_set_header (param i32 i32 i32 i32 i32) (result i32)))

  ;; hostcall_resp_set_body(resp, body_ptr, body_len) -> status
  (import "env" "hostcall_resp_set_body"
    (func $resp_set_body (param i32 i32 i32) (result i32)))

  ;; hostcall_panic_hook(msg_ptr, msg_len): report a failure message; the
  ;; host answers with an error status and this message. We trap right
  ;; after calling it.
  (import "env" "hostcall_panic_hook"
    (func $panic_hook (param i32 i32)))

  ;; ---- Memory: one 64 KiB page, not exported ------------------------------
  (memory 1)

  ;; ---- Constant data ------------------------------------------------------
  ;; Offset  Length  Content
  ;; 0x10    12      "content-type"            (header name)
  ;; 0x20    10      "text/plain"              (header value)
  ;; 0x40    8       GuestSlice { ptr = 0x20, len = 10 }   (the value list)
  ;; 0x60    13      "Hello, world!"           (body)
  ;; 0x80    28      "hello.wat: a hostcall failed"   (error message)
  (data (i32.const 0x10) "content-type")
  (data (i32.const 0x20) "text/plain")
  ;; The GuestSlice: ptr 0x00000020, len 0x0000000a, both little-endian.
  (data (i32.const 0x40) "\20\00\00\00\0a\00\00\00")
  (data (i32.const 0x60) "Hello, world!")
  (data (i32.const 0x80) "hello.wat: a hostcall failed")

  ;; Trap with a message when a hostcall returns a non-zero status.
  (func $check (param $status i32)
    (if (local.get $status)
      (then
        (call $panic_hook (i32.const 0x80) (i32.const 28))
        unreachable)))

  ;; ---- The entry point ----------------------------------------------------
  (func $run (export "run")
    ;; content-type: text/plain  (1 value, described by the GuestSlice at 0x40)
    (call $check
      (call $resp_set_header
        (i32.const 0)      ;; resp: the outgoing response
        (i32.const 0x10)   ;; name_ptr  -> "content-type"
        (i32.const 12)     ;; name_len
        (i32.const 0x40)   ;; values_ptr -> [GuestSlice]
        (i32.const 1)))    ;; values_len: one value

    ;; body: "Hello, world!"
    (call $check
      (call $resp_set_body
        (i32.const 0)      ;; resp
        (i32.const 0x60)   ;; body_ptr
        (i32.const 13)))   ;; body_len

    ;; status: 200
    (call $check
      (call $resp_set_response_code
        (i32.const 0)      ;; resp
        (i32.const 200))))
)
