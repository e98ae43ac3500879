;; The relay's record builder for clean batches (valid UTF-8, no '\r'): each line of [start, end) becomes
;; head + line + tail, written at out. The head is at [0, headLen) of this memory, the tail at
;; [tail, tail + tailLen). Newlines are found 16 bytes at a time (SIMD); so, when `escapes` is set, are
;; the bytes JSON escapes in a string (below 0x20, '"', '\'): a line holding one, or shaped like a JSON
;; object ('{' ... '}'), is left to the caller, which builds its record itself (records.ts). The module
;; is assembled by scripts/wasm.ts into records-wasm.ts, which the bundle embeds.
(module
  (memory (export "memory") 21)
  ;; After a call: where the caller goes on from in the source, where the output ends, lines written.
  (global $srcPos (export "srcPos") (mut i32) (i32.const 0))
  (global $outPos (export "outPos") (mut i32) (i32.const 0))
  (global $lines (export "lines") (mut i32) (i32.const 0))

  ;; The first byte at or after s, before end, that is a newline (or, with escapes, one JSON escapes):
  ;; its address, or end.
  (func $find (param $s i32) (param $end i32) (param $escapes i32) (result i32)
    (local $v v128)
    (local $bits i32)
    (local $c i32)
    (block $scalar
      (loop $vector
        (br_if $scalar (i32.gt_u (i32.add (local.get $s) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load (local.get $s)))
        (local.set $bits
          (i8x16.bitmask
            (if (result v128) (local.get $escapes)
              (then
                (v128.or
                  (v128.or
                    (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 32)))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34))))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 92)))))
              (else (i8x16.eq (local.get $v) (i8x16.splat (i32.const 10)))))))
        (if (local.get $bits)
          (then (return (i32.add (local.get $s) (i32.ctz (local.get $bits))))))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $vector)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $s)))
        (if (local.get $escapes)
          (then
            (br_if $done
              (i32.or
                (i32.lt_u (local.get $c) (i32.const 32))
                (i32.or (i32.eq (local.get $c) (i32.const 34)) (i32.eq (local.get $c) (i32.const 92))))))
          (else (br_if $done (i32.eq (local.get $c) (i32.const 10)))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $byte)))
    (local.get $s))

  (func $stop (param $result i32) (param $src i32) (param $out i32) (param $lines i32) (result i32)
    (global.set $srcPos (local.get $src))
    (global.set $outPos (local.get $out))
    (global.set $lines (local.get $lines))
    (local.get $result))

  ;; Returns 0 when every line was written (srcPos = end + 1); 1 when the line at srcPos is the caller's
  ;; (a byte to escape, or a JSON object); 2 when the record of the line at srcPos does not fit before outEnd.
  (func (export "records")
    (param $headLen i32) (param $tail i32) (param $tailLen i32) (param $escapes i32)
    (param $start i32) (param $end i32) (param $out i32) (param $outEnd i32)
    (result i32)
    (local $p i32)
    (local $len i32)
    (local $lines i32)
    (loop $line
      (local.set $p (call $find (local.get $start) (local.get $end) (local.get $escapes)))
      (if (i32.lt_u (local.get $p) (local.get $end))
        (then
          (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 10))
            (then (return (call $stop (i32.const 1) (local.get $start) (local.get $out) (local.get $lines)))))))
      (local.set $len (i32.sub (local.get $p) (local.get $start)))
      (if (i32.and (local.get $escapes) (i32.ge_u (local.get $len) (i32.const 2)))
        (then
          (if (i32.and
                (i32.eq (i32.load8_u (local.get $start)) (i32.const 123))
                (i32.eq (i32.load8_u (i32.sub (local.get $p) (i32.const 1))) (i32.const 125)))
            (then (return (call $stop (i32.const 1) (local.get $start) (local.get $out) (local.get $lines)))))))
      (if (i32.gt_u
            (i32.add (local.get $out) (i32.add (local.get $headLen) (i32.add (local.get $len) (local.get $tailLen))))
            (local.get $outEnd))
        (then (return (call $stop (i32.const 2) (local.get $start) (local.get $out) (local.get $lines)))))
      (memory.copy (local.get $out) (i32.const 0) (local.get $headLen))
      (local.set $out (i32.add (local.get $out) (local.get $headLen)))
      (memory.copy (local.get $out) (local.get $start) (local.get $len))
      (local.set $out (i32.add (local.get $out) (local.get $len)))
      (memory.copy (local.get $out) (local.get $tail) (local.get $tailLen))
      (local.set $out (i32.add (local.get $out) (local.get $tailLen)))
      (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
      (if (i32.ge_u (local.get $p) (local.get $end))
        (then (return (call $stop (i32.const 0) (i32.add (local.get $end) (i32.const 1)) (local.get $out) (local.get $lines)))))
      (local.set $start (i32.add (local.get $p) (i32.const 1)))
      (br $line))
    (unreachable)))
