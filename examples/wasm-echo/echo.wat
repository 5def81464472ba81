;; An echo actor in WebAssembly text: a call is answered with its own payload, a send is logged.
;;   mar run examples/wasm-echo
;;   curl -d hello localhost:8080/actors/Echo/a   ->  hello
(module
  (import "mar" "reply" (func $reply (param i32 i32 i32) (result i32)))
  (import "mar" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1 1)
  ;; One message at a time lands at offset 1024 (the node dispatches right after allocating).
  (func (export "mar_alloc") (param $len i32) (result i32)
    (select (i32.const 1024) (i32.const 0) (i32.le_u (local.get $len) (i32.const 64512))))
  (func (export "mar_dispatch") (param $kind i32) (param $id i32) (param $code i32) (param $ptr i32) (param $len i32) (result i32)
    (if (i32.eq (local.get $kind) (i32.const 1))  ;; MAR_CALL
      (then (drop (call $reply (local.get $id) (local.get $ptr) (local.get $len)))))
    (if (i32.eqz (local.get $kind))               ;; MAR_SEND
      (then (call $log (i32.const 1) (local.get $ptr) (local.get $len))))
    (i32.const 0)))
