;; The small Wasm actor of bench/wasm: one page of memory (initial = maximum), answers a call
;; with its payload.
(module
  (import "mar" "reply" (func $reply (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "mar_alloc") (param $len i32) (result i32)
    (select (i32.const 1024) (i32.const 0) (i32.le_u (local.get $len) (i32.const 60000))))
  (func (export "mar_dispatch") (param $kind i32) (param $id i32) (param $code i32) (param $ptr i32) (param $len i32) (result i32)
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (drop (call $reply (local.get $id) (local.get $ptr) (local.get $len)))))
    (i32.const 0)))
