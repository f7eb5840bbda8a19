;; mem_loop.wat - a memory-heavy guest for bench/MemoryBenchmark.
;;
;; Per request: 16 passes over 64 KiB, each byte read (i32.load8_u), mixed
;; into an accumulator and written back (i32.store8): about 1 million loads
;; and stores, with the loop test an i32.ge_u as compilers emit it. Answers
;; 200 with no body. MemoryBenchmark.java runs the same loop in plain Java as
;; the baseline.
(module
  (import "env" "hostcall_resp_set_response_code"
    (func $resp_set_response_code (param i32 i32) (result i32)))
  (memory 2)
  (func (export "run")
    (local $pass i32) (local $i i32) (local $acc i32)
    (block $passes_done
      (loop $passes
        (br_if $passes_done (i32.ge_u (local.get $pass) (i32.const 16)))
        (local.set $i (i32.const 0))
        (block $bytes_done
          (loop $bytes
            (br_if $bytes_done (i32.ge_u (local.get $i) (i32.const 65536)))
            (local.set $acc
              (i32.add
                (i32.mul (local.get $acc) (i32.const 31))
                (i32.load8_u offset=65536 (local.get $i))))
            (i32.store8 offset=65536 (local.get $i) (local.get $acc))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $bytes)))
        (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
        (br $passes)))
    ;; keep the result observable
    (i32.store (i32.const 0) (local.get $acc))
    (drop (call $resp_set_response_code (i32.const 0) (i32.const 200)))))
