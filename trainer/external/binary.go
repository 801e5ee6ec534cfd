package external

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// BinaryMagic starts a request in the binary format (docs/protocol.md,
// "Binary requests"): the 8 bytes "OHEMLAB1", the length of the JSON part
// as a 4-byte little-endian unsigned integer, the JSON part (the same
// request object as a plain JSON request) and then the data part. A batch
// record's "bin" names byte ranges of the data part that hold its arrays,
// so neither side writes or scans them as text.
const BinaryMagic = "OHEMLAB1"

// binaryHeader is the size of the magic plus the JSON length.
const binaryHeader = len(BinaryMagic) + 4

// BinRefs are the arrays of a batch record that a binary request carries
// in its data part: each an [offset, length] pair in bytes from the start
// of the data part. Floats are little-endian float32, indices, labels,
// predictions and ids little-endian int32, flipped one byte (0 or 1) per
// example, images the uint8 pixels.
type BinRefs struct {
	Losses   []int64 `json:"losses"`
	TrueProb []int64 `json:"true_prob"`
	Weights  []int64 `json:"weights"`
	Labels   []int64 `json:"labels"`
	Preds    []int64 `json:"preds"`
	IDs      []int64 `json:"ids"`
	Selected []int64 `json:"selected"`
	Flipped  []int64 `json:"flipped"`
	Images   []int64 `json:"images"`
}

// splitBinary separates a binary request into its JSON and data parts.
func splitBinary(b []byte) (js, data []byte, err error) {
	if len(b) < binaryHeader {
		return nil, nil, bad("binary request of %d bytes ends early: want %q, the JSON part's length (4 bytes, little-endian), the JSON part and the data part", len(b), BinaryMagic)
	}
	n := uint64(binary.LittleEndian.Uint32(b[len(BinaryMagic):]))
	if n > uint64(len(b)-binaryHeader) {
		return nil, nil, bad("binary request: its header says the JSON part is %d bytes but only %d bytes follow", n, len(b)-binaryHeader)
	}
	return b[binaryHeader : binaryHeader+int(n)], b[binaryHeader+int(n):], nil
}

// binBytes returns the bytes the bin ranges of batches name together, a
// range counted once for every record that names it (images aside: they
// are not copied); it stops counting past MaxBodyBytes. Malformed ranges
// count nothing: resolve refuses them.
func binBytes(batches []Batch) int64 {
	var n int64
	for i := range batches {
		r := batches[i].Bin
		if r == nil {
			continue
		}
		for _, ref := range [][]int64{r.Losses, r.TrueProb, r.Weights, r.Labels, r.Preds, r.IDs, r.Selected, r.Flipped} {
			if len(ref) == 2 && ref[1] > 0 {
				n += min(ref[1], MaxBodyBytes+1)
				if n > MaxBodyBytes {
					return n
				}
			}
		}
	}
	return n
}

// arrays hold the arrays of a request's records, one allocation per
// element type that resolve takes each record's arrays from: a request of
// many records makes three allocations instead of several per record.
type arrays struct {
	f64 []float64
	i32 []int32
	i64 []int64
}

// newArrays sizes arrays for the bin ranges of batches over a data part of
// dataLen bytes. Ranges that resolve will refuse count nothing, and each
// kind is bounded by the values the data part holds (a record that does not
// fit, with ranges that overlap, allocates its own).
func newArrays(batches []Batch, dataLen int) *arrays {
	n := func(ref []int64) int {
		if len(ref) != 2 || ref[0] < 0 || ref[1] < 0 || ref[1] > int64(dataLen) {
			return 0
		}
		return int(ref[1] / 4)
	}
	var nf, ni, nl int
	for i := range batches {
		if r := batches[i].Bin; r != nil {
			nf += n(r.Losses) + n(r.TrueProb) + n(r.Weights)
			ni += n(r.Labels) + n(r.Preds) + n(r.Selected)
			nl += n(r.IDs)
		}
	}
	most := dataLen / 4
	return &arrays{f64: make([]float64, min(nf, most)), i32: make([]int32, min(ni, most)), i64: make([]int64, min(nl, most))}
}

// take returns n values from the front of *buf when it has room, else a
// new slice of its own.
func take[T any](buf *[]T, n int) []T {
	if n > len(*buf) {
		return make([]T, n)
	}
	out := (*buf)[:n:n]
	*buf = (*buf)[n:]
	return out
}

// floats returns n float64s (from a when it has room).
func (a *arrays) floats(n int) []float64 {
	if a == nil {
		return make([]float64, n)
	}
	return take(&a.f64, n)
}

// int32s returns n int32s (from a when it has room).
func (a *arrays) int32s(n int) []int32 {
	if a == nil {
		return make([]int32, n)
	}
	return take(&a.i32, n)
}

// int64s returns n int64s (from a when it has room).
func (a *arrays) int64s(n int) []int64 {
	if a == nil {
		return make([]int64, n)
	}
	return take(&a.i64, n)
}

// resolve fills the arrays a batch record keeps in the data part (binary
// requests only; data is nil for a JSON request), taking their memory from
// arr (nil: allocating each).
func (b *Batch) resolve(data []byte, isBinary bool, arr *arrays) error {
	r := b.Bin
	if r == nil {
		return nil
	}
	if !isBinary {
		return errors.New(`"bin" refers to the data part of a binary request, but this request is plain JSON: send it in the binary format (body starting with "OHEMLAB1") or give the arrays as JSON`)
	}
	part := func(name string, ref []int64, given bool, unit int) ([]byte, error) {
		if given {
			return nil, fmt.Errorf("%s is given both in the record and in bin: give it once", name)
		}
		if len(ref) != 2 {
			return nil, fmt.Errorf("bin.%s has %d numbers: want [offset, length] in bytes", name, len(ref))
		}
		off, n := ref[0], ref[1]
		if off < 0 || n < 0 || off > int64(len(data)) || n > int64(len(data))-off {
			return nil, fmt.Errorf("bin.%s = [%d, %d] is outside the data part (%d bytes)", name, off, n, len(data))
		}
		if n%int64(unit) != 0 {
			return nil, fmt.Errorf("bin.%s: %d bytes is not a whole number of %d-byte values", name, n, unit)
		}
		return data[off : off+n], nil
	}
	floats := func(name string, ref []int64, dst *Numbers) error {
		if ref == nil {
			return nil
		}
		p, err := part(name, ref, *dst != nil, 4)
		if err != nil {
			return err
		}
		out := arr.floats(len(p) / 4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:])))
		}
		*dst = out
		return nil
	}
	int32s := func(name string, ref []int64, given bool, dst *[]int32) error {
		if ref == nil {
			return nil
		}
		p, err := part(name, ref, given, 4)
		if err != nil {
			return err
		}
		out := arr.int32s(len(p) / 4)
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(p[4*i:]))
		}
		*dst = out
		return nil
	}
	for _, f := range []struct {
		name string
		ref  []int64
		dst  *Numbers
	}{{"losses", r.Losses, &b.Losses}, {"true_prob", r.TrueProb, &b.TrueProb}, {"weights", r.Weights, &b.Weights}} {
		if err := floats(f.name, f.ref, f.dst); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		ref  []int64
		dst  *[]int32
	}{{"labels", r.Labels, &b.Labels}, {"preds", r.Preds, &b.Preds}, {"selected", r.Selected, &b.Selected}} {
		if err := int32s(f.name, f.ref, *f.dst != nil, f.dst); err != nil {
			return err
		}
	}
	if r.IDs != nil {
		p, err := part("ids", r.IDs, b.IDs != nil, 4)
		if err != nil {
			return err
		}
		b.IDs = arr.int64s(len(p) / 4)
		for i := range b.IDs {
			b.IDs[i] = int64(int32(binary.LittleEndian.Uint32(p[4*i:])))
		}
	}
	if r.Flipped != nil {
		p, err := part("flipped", r.Flipped, b.Flipped != nil, 1)
		if err != nil {
			return err
		}
		b.Flipped = make([]bool, len(p))
		for i, v := range p {
			if v > 1 {
				return fmt.Errorf("bin.flipped: byte %d is %d: want 0 or 1", i, v)
			}
			b.Flipped[i] = v == 1
		}
	}
	if r.Images != nil {
		if b.Images == nil {
			return errors.New(`bin.images without "images": {"shape": [H, W]}: give the images' shape`)
		}
		p, err := part("images", r.Images, b.Images.Data != "", 1)
		if err != nil {
			return err
		}
		b.pixels = p
		if b.pixels == nil {
			b.pixels = []byte{}
		}
	}
	return nil
}
