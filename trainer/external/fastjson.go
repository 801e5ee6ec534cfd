package external

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/ohemlab/ohemlab/ohem"
)

// decodeFast decodes the JSON of a request that carries only what the
// clients send with every batch: session, rank, world, run, wait and batch
// records with arm, step, version, m, strategy, step_seconds, images
// ({"shape": [...], "data": "..."}) and bin ranges, each key spelt exactly
// and at most once per object, integers where the fields are integers, no
// null, no escapes in strings. It writes no error message: for anything
// else (a hello, evals, arrays given in the record, a key in other case,
// bad JSON...) ok is false and DecodeRequest decodes with encoding/json,
// which then gives its result or its error. For what decodeFast accepts,
// encoding/json gives the same Request (FuzzDecodeFast), at a fraction of
// the cost of its reflection: the record headers are most of the server's
// work per ingested batch after the statistics.
func decodeFast(b []byte) (r *Request, ok bool) {
	p := fastParser{b: b, slab: make([]int64, 0, 16+len(b)/16)}
	r = &Request{}
	if !p.request(r) {
		return nil, false
	}
	p.ws()
	return r, p.i == len(p.b)
}

// fastParser reads JSON from b at i; every method returns false on
// anything it does not handle.
type fastParser struct {
	b    []byte
	i    int
	slab []int64   // backs the arrays of integers read (one allocation for most)
	refs []BinRefs // backs the records' bin ranges, 64 at a time
}

// known returns s as a string, without a copy when it is a strategy name.
func known(s []byte) string {
	for _, k := range ohem.Strategies {
		if string(s) == k {
			return k
		}
	}
	return string(s)
}

// ws skips JSON whitespace.
func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// char consumes c (after whitespace) if it is next.
func (p *fastParser) char(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// rawString reads a string without escapes or control characters and
// returns its bytes (a view of b).
func (p *fastParser) rawString() ([]byte, bool) {
	if !p.char('"') {
		return nil, false
	}
	start, ascii := p.i, true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			// encoding/json replaces invalid UTF-8 (DecodeRequest refuses it).
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return nil, false
}

func (p *fastParser) str() (string, bool) {
	s, ok := p.rawString()
	return string(s), ok
}

// int reads a JSON integer (no fraction or exponent) that fits an int64.
func (p *fastParser) int() (int64, bool) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 1 && p.b[digits] == '0' {
		return 0, false
	}
	if p.i < len(p.b) {
		if c := p.b[p.i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	if n > 18 { // may not fit: let strconv say
		v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
		return v, err == nil
	}
	var v int64
	for _, c := range p.b[digits:p.i] {
		v = 10*v + int64(c-'0')
	}
	if digits > start {
		v = -v
	}
	return v, true
}

// float reads a JSON number as encoding/json does for a float64.
func (p *fastParser) float() (float64, bool) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if n := p.i - digits; n == 0 || n > 1 && p.b[digits] == '0' {
		return 0, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits() {
			return 0, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return v, err == nil
}

// digits consumes one or more decimal digits.
func (p *fastParser) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// object reads {"key": value, ...}, calling field for each key with the
// parser at its value; field returns false to give up. Keys must be
// unique: seen marks the fields read so far by the bit field returns.
func (p *fastParser) object(field func(key []byte) (bit uint32, ok bool)) bool {
	if !p.char('{') {
		return false
	}
	if p.char('}') {
		return true
	}
	var seen uint32
	for {
		k, ok := p.rawString()
		if !ok || !p.char(':') {
			return false
		}
		bit, ok := field(k)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if p.char(',') {
			continue
		}
		return p.char('}')
	}
}

// ints reads an array of integers (possibly empty, never null) into the
// slab; the result's capacity is its length.
func (p *fastParser) ints() ([]int64, bool) {
	if !p.char('[') {
		return nil, false
	}
	start := len(p.slab)
	if !p.char(']') {
		for {
			v, ok := p.int()
			if !ok {
				return nil, false
			}
			p.slab = append(p.slab, v)
			if p.char(',') {
				continue
			}
			if !p.char(']') {
				return nil, false
			}
			break
		}
	}
	return p.slab[start:len(p.slab):len(p.slab)], true
}

func (p *fastParser) request(r *Request) bool {
	return p.object(func(k []byte) (uint32, bool) {
		var ok bool
		switch string(k) {
		case "session":
			r.Session, ok = p.str()
			return 1 << 0, ok
		case "rank":
			var v int64
			v, ok = p.int()
			r.Rank = int(v)
			return 1 << 1, ok
		case "world":
			var v int64
			v, ok = p.int()
			r.World = int(v)
			return 1 << 2, ok
		case "run":
			r.Run, ok = p.int()
			return 1 << 3, ok
		case "wait":
			var v int64
			v, ok = p.int()
			r.Wait = &v
			return 1 << 4, ok
		case "batches":
			return 1 << 5, p.batches(r)
		}
		return 0, false
	})
}

func (p *fastParser) batches(r *Request) bool {
	if !p.char('[') {
		return false
	}
	// Room for every record (a count of a key each has, or more).
	r.Batches = make([]Batch, 0, bytes.Count(p.b[p.i:], []byte(`"step"`)))
	if p.char(']') {
		return true
	}
	for {
		r.Batches = append(r.Batches, Batch{})
		if !p.batch(&r.Batches[len(r.Batches)-1]) {
			return false
		}
		if p.char(',') {
			continue
		}
		return p.char(']')
	}
}

func (p *fastParser) batch(b *Batch) bool {
	return p.object(func(k []byte) (uint32, bool) {
		var ok bool
		var v int64
		switch string(k) {
		case "arm":
			v, ok = p.int()
			b.Arm = int(v)
			return 1 << 0, ok
		case "step":
			b.Step, ok = p.int()
			return 1 << 1, ok
		case "version":
			b.Version, ok = p.int()
			return 1 << 2, ok
		case "m":
			v, ok = p.int()
			b.M = int(v)
			return 1 << 3, ok
		case "strategy":
			var raw []byte
			if raw, ok = p.rawString(); ok {
				b.Strategy = known(raw)
			}
			return 1 << 4, ok
		case "step_seconds":
			b.StepSeconds, ok = p.float()
			return 1 << 5, ok
		case "images":
			b.Images = &Images{}
			return 1 << 6, p.images(b.Images)
		case "bin":
			if len(p.refs) == cap(p.refs) {
				p.refs = make([]BinRefs, 0, 64)
			}
			p.refs = append(p.refs, BinRefs{})
			b.Bin = &p.refs[len(p.refs)-1]
			return 1 << 7, p.bin(b.Bin)
		}
		return 0, false
	})
}

func (p *fastParser) images(im *Images) bool {
	return p.object(func(k []byte) (uint32, bool) {
		var ok bool
		switch string(k) {
		case "shape":
			var v []int64
			if v, ok = p.ints(); ok {
				im.Shape = make([]int, len(v))
				for i, x := range v {
					im.Shape[i] = int(x)
				}
			}
			return 1 << 0, ok
		case "data":
			im.Data, ok = p.str()
			return 1 << 1, ok
		}
		return 0, false
	})
}

func (p *fastParser) bin(r *BinRefs) bool {
	return p.object(func(k []byte) (uint32, bool) {
		var dst *[]int64
		var bit uint32
		switch string(k) {
		case "losses":
			dst, bit = &r.Losses, 1<<0
		case "true_prob":
			dst, bit = &r.TrueProb, 1<<1
		case "weights":
			dst, bit = &r.Weights, 1<<2
		case "labels":
			dst, bit = &r.Labels, 1<<3
		case "preds":
			dst, bit = &r.Preds, 1<<4
		case "ids":
			dst, bit = &r.IDs, 1<<5
		case "selected":
			dst, bit = &r.Selected, 1<<6
		case "flipped":
			dst, bit = &r.Flipped, 1<<7
		case "images":
			dst, bit = &r.Images, 1<<8
		default:
			return 0, false
		}
		v, ok := p.ints()
		*dst = v
		return bit, ok
	})
}
