;; mem_copy.wat - a guest that moves memory with memory.copy (bulk memory, as
;; rustc 1.87+ and clang emit for memcpy/memmove by default), for
;; bench/MemoryBenchmark.
;;
;; Per request: 256 times, copy the 32 KiB at 64 KiB to 96 KiB and back:
;; 16 MiB moved in 512 memory.copy instructions. Answers 200 with no body.
;; MemoryBenchmark.java runs the same copies with System.arraycopy as the
;; baseline.
(module
  (import "env" "hostcall_resp_set_response_code"
    (func $resp_set_response_code (param i32 i32) (result i32)))
  (memory 2)
  (func (export "run")
    (local $n i32)
    (block $done
      (loop $copies
        (br_if $done (i32.ge_u (local.get $n) (i32.const 256)))
        (memory.copy (i32.const 98304) (i32.const 65536) (i32.const 32768))
        (memory.copy (i32.const 65536) (i32.const 98304) (i32.const 32768))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $copies)))
    (drop (call $resp_set_response_code (i32.const 0) (i32.const 200)))))
