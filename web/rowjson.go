package web

import (
	"math"
	"strconv"
)

// appendJSON appends r as JSON: the same bytes as finitejson.Marshal(r)
// (the fields in order, NaN and ±Inf as null, numbers formatted as
// encoding/json formats them), without reflection or an interface value.
// The hub encodes one row per batch, hundreds a second from a fast
// external trainer.
func (r *Row) appendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"arm":`...)
	b = strconv.AppendInt(b, int64(r.Arm), 10)
	b = append(b, `,"step":`...)
	b = strconv.AppendInt(b, r.Step, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, r.Version, 10)
	b = append(b, `,"batch_loss":`...)
	b = appendJSONFloat(b, r.BatchLoss, 64)
	b = append(b, `,"sel_loss":`...)
	b = appendJSONFloat(b, r.SelLoss, 64)
	b = append(b, `,"q":[`...)
	for i, q := range r.Q {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONFloat(b, float64(q), 32)
	}
	b = append(b, `],"kept_share":`...)
	b = appendJSONFloat(b, r.KeptShare, 64)
	b = append(b, `,"sel_flipped_share":`...)
	b = appendJSONFloat(b, r.SelFlippedShare, 64)
	b = append(b, `,"examples_seen":`...)
	b = strconv.AppendInt(b, r.ExamplesSeen, 10)
	b = append(b, `,"examples_backpropagated":`...)
	b = strconv.AppendInt(b, r.ExamplesBackprop, 10)
	b = append(b, `,"wall":`...)
	b = appendJSONFloat(b, r.Wall, 64)
	b = append(b, `,"examples_forwarded":`...)
	b = strconv.AppendInt(b, r.ExamplesForward, 10)
	b = append(b, `,"compute_flops":`...)
	b = strconv.AppendInt(b, r.ComputeFLOPs, 10)
	if r.Scanned != 0 {
		b = append(b, `,"scanned":`...)
		b = strconv.AppendInt(b, int64(r.Scanned), 10)
	}
	return append(b, '}')
}

// appendJSONFloat appends f (of bits 32 or 64) as encoding/json writes a
// float of that size, or null when it is NaN or infinite (as
// finitejson does).
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	// encoding/json's floatEncoder: ES6 number formatting.
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
