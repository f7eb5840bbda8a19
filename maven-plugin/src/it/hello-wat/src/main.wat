;; hello-maven: a Vivarium guest in WebAssembly text (the ABI: guests/ABI.md).
;;
;; The host calls the exported `run` once per request; the guest builds the
;; response through hostcalls imported from module "env". This one answers
;; every request with 200, content-type text/plain and a greeting, and logs
;; one line (hostcall_debug: `vivarium logs hello-maven` shows it).
;;
;; Edit the body below and save: `vivarium dev` rebuilds and reloads.
(module
  (import "env" "hostcall_resp_set_response_code"
    (func $resp_set_response_code (param i32 i32) (result i32)))
  (import "env" "hostcall_resp_set_header"
    (func $resp_set_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "hostcall_resp_set_body"
    (func $resp_set_body (param i32 i32 i32) (result i32)))
  (import "env" "hostcall_debug"
    (func $debug (param i32 i32)))

  (memory 1)

  ;; 0x10 "content-type", 0x20 "text/plain", 0x40 the GuestSlice {0x20, 10},
  ;; 0x60 the log line, 0x100 the body (its length is $body_len below).
  (data (i32.const 0x10) "content-type")
  (data (i32.const 0x20) "text/plain")
  (data (i32.const 0x40) "\20\00\00\00\0a\00\00\00")
  (data (i32.const 0x60) "hello-maven: request")
  (data (i32.const 0x100) "Hello from hello-maven!\n")
  (global $body_len i32 (i32.const 24))

  (func (export "run")
    (call $debug (i32.const 0x60) (i32.const 20))
    (drop (call $resp_set_header
      (i32.const 0) (i32.const 0x10) (i32.const 12) (i32.const 0x40) (i32.const 1)))
    (drop (call $resp_set_body (i32.const 0) (i32.const 0x100) (global.get $body_len)))
    (drop (call $resp_set_response_code (i32.const 0) (i32.const 200))))
)
