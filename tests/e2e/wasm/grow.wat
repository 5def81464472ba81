;; A hostile actor: grows its memory until memory.grow fails, then answers its size in pages
;; (4 bytes, little-endian). Its memory declares no maximum: the node caps it.
(module
  (import "mar" "reply" (func $reply (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "mar_alloc") (param i32) (result i32) (i32.const 16))
  (func (export "mar_dispatch") (param $kind i32) (param $id i32) (param $code i32) (param $ptr i32) (param $len i32) (result i32)
    (block $done
      (loop $grow
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    (i32.store (i32.const 0) (memory.size))
    (drop (call $reply (local.get $id) (i32.const 0) (i32.const 4)))
    (i32.const 0)))
