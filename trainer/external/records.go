// Package external is the training source of `ohemlab serve --source
// external`: training runs in another process (PyTorch, JAX, anything that
// speaks HTTP) and reports every batch with POST /api/ingest; the page's
// controls travel back in the reply. Source turns the reports into the same
// trainer events the built-in Gorgonia loop publishes, so the hub, history,
// data map, gallery, markers and run store work unchanged, and implements
// the trainer interface the web server drives (web.Trainer).
//
// DecodeRequest parses and checks a request body; Source.Ingest applies it.
// The wire format is documented in docs/protocol.md ("Ingest").
package external

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ohemlab/ohemlab/internal/jsontype"
	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// Limits of an ingest request.
const (
	// MaxBodyBytes is the largest request body accepted.
	MaxBodyBytes = 16 << 20
	// MaxRecords is the most batch plus eval records in one request.
	MaxRecords = 1024
	// MaxK is the largest batch (per rank) a record may carry.
	MaxK = experiment.MaxK
	// MaxWorld is the most ranks one run may have.
	MaxWorld = 64
	// MaxClasses is the most classes a run may declare.
	MaxClasses = 100000
	// MaxImageSide is the largest image height or width accepted.
	MaxImageSide = 256
	// MaxStep is the largest step number accepted.
	MaxStep = 1 << 50
	// MaxSessionLen is the longest session name in bytes.
	MaxSessionLen = 128
	// MaxNumTrain is the largest training-set size a run may declare.
	MaxNumTrain = 1 << 30
)

// Request is one POST /api/ingest body.
type Request struct {
	// Session names one training job (all its ranks share it). A hello
	// with a new session starts a new run.
	Session string `json:"session"`
	// Rank and World place this process in a multi-process job (default
	// 0 and 1).
	Rank  int `json:"rank"`
	World int `json:"world"`
	// Run is the run number the records belong to (from a reply's "run");
	// records of an older run (before a reset) are dropped. 0 = current.
	Run int64 `json:"run"`
	// Hello describes the job; required in the first request of a session
	// from each rank.
	Hello *Hello `json:"hello"`
	// Batches and Evals are the records, applied in order.
	Batches []Batch `json:"batches"`
	Evals   []Eval  `json:"evals"`
	// Wait, when set, holds the reply until the control revision differs
	// from *Wait (a pause, resume, step, change...) or the long-poll
	// times out. Requests with records should not wait.
	Wait *int64 `json:"wait"`
}

// Hello describes a training job: its data, batch size and arms.
type Hello struct {
	// Name labels the run (e.g. the script), optional.
	Name string `json:"name"`
	// Dataset names the data (shown on the page), required.
	Dataset string `json:"dataset"`
	// Classes is the number of classes, 2..MaxClasses.
	Classes    int      `json:"classes"`
	ClassNames []string `json:"class_names"`
	// NumTrain is the training-set size (example ids are below it); 0 =
	// unknown.
	NumTrain int `json:"num_train"`
	NumTest  int `json:"num_test"`
	// K is the batch size of one rank.
	K int `json:"k"`
	// Image is the shape of the example images the client may send:
	// [H, W] or [H, W, 3]; empty = no images.
	Image []int `json:"image"`
	// Arms are one or two arms, each with its initial settings.
	Arms []HelloArm `json:"arms"`
	// Strategies the client implements (default all, random, topk).
	Strategies []string `json:"strategies"`
	// CanReset declares that the client restarts training from scratch
	// when a reply's "run" grows; without it reset is refused.
	CanReset bool `json:"can_reset"`
	// EvalEvery is the client's evaluation period in steps (0 = unknown).
	EvalEvery int `json:"eval_every"`
}

// HelloArm is one arm's initial settings.
type HelloArm struct {
	Name     string  `json:"name"`
	Strategy string  `json:"strategy"`
	M        int     `json:"m"`
	Ratio    float64 `json:"ratio"`
	LR       float64 `json:"lr"`
	Thresh   float64 `json:"thresh"`
	MinKept  int     `json:"min_kept"`
}

// Images are uint8 pixels of the selected examples, in selected order.
type Images struct {
	// Shape is [H, W] (grey) or [H, W, 3] (RGB).
	Shape []int `json:"shape"`
	// Data is base64 of len(selected)*H*W(*3) bytes, row-major (or
	// empty when the record's bin.images has them).
	Data string `json:"data"`
}

// Batch is one arm's training step on one rank.
type Batch struct {
	Arm  int   `json:"arm"`
	Step int64 `json:"step"`
	// Version is the control version (of a reply) whose settings the
	// client used for this batch; 0 = not reported. A change is stamped at
	// the first batch that reports its version.
	Version int64 `json:"version"`
	// Per example, length K each (TrueProb and Flipped optional).
	Losses   Numbers `json:"losses"`
	Labels   []int32 `json:"labels"`
	Preds    []int32 `json:"preds"`
	IDs      []int64 `json:"ids"`
	TrueProb Numbers `json:"true_prob"`
	Flipped  []bool  `json:"flipped"`
	// Selected are increasing indices into the per-example arrays.
	Selected []int32 `json:"selected"`
	// Weights of the selected examples (default: equal, summing to 1).
	Weights Numbers `json:"weights"`
	// M is the M the client used (default len(Selected)).
	M int `json:"m"`
	// Strategy the client used (default the configured one).
	Strategy string `json:"strategy"`
	// StepSeconds is the wall time of the step (optional).
	StepSeconds float64 `json:"step_seconds"`
	Images      *Images `json:"images"`
	// Bin places arrays in the data part of a binary request instead
	// (BinaryMagic); the fields it names must be absent above.
	Bin *BinRefs `json:"bin"`

	pixels []byte // decoded Images.Data, or the data part's bytes
}

// Eval is one evaluation of one arm.
type Eval struct {
	Arm          int       `json:"arm"`
	Step         int64     `json:"step"`
	TestLoss     float64   `json:"test_loss"`
	TestAccuracy float64   `json:"test_accuracy"`
	PerClass     []float64 `json:"per_class"`
	Confusion    [][]int   `json:"confusion"`
}

// BadRequest is a request the server refuses; its message names the
// record and field. The web server answers it with HTTP 400.
type BadRequest struct{ Msg string }

func (e *BadRequest) Error() string { return e.Msg }

// HTTPStatus is 400.
func (e *BadRequest) HTTPStatus() int { return 400 }

func bad(format string, args ...any) error {
	return &BadRequest{Msg: fmt.Sprintf(format, args...)}
}

// DecodeRequest parses one request body strictly (a single JSON object,
// known fields only, right JSON types) and checks everything that does not
// depend on the run: sizes, lengths, ranges, finite numbers. The checks
// against the run's hello (arm count, classes, K) happen in Ingest.
func DecodeRequest(b []byte) (*Request, error) {
	if len(b) > MaxBodyBytes {
		return nil, bad("request too large: %d bytes, the limit is %d", len(b), MaxBodyBytes)
	}
	var data []byte
	isBinary := bytes.HasPrefix(b, []byte(BinaryMagic))
	if isBinary {
		var err error
		if b, data, err = splitBinary(b); err != nil {
			return nil, err
		}
	}
	if !utf8.Valid(b) {
		return nil, bad("request is not valid UTF-8")
	}
	r, ok := decodeFast(b)
	if !ok {
		var err error
		if r, err = decodeJSON(b, isBinary); err != nil {
			return nil, err
		}
	}
	var arr *arrays
	if isBinary {
		// Records may share ranges of the data part, but one request
		// decodes no more values than a request of the largest size can
		// carry: 1024 records naming one 16 MB range each would otherwise
		// make gigabytes of arrays.
		if binBytes(r.Batches) > MaxBodyBytes {
			return nil, bad("the bin ranges of this request's batch records add up to more than %d bytes (a range named by several records counts once for each): that is the most one request may decode; send fewer records per request", MaxBodyBytes)
		}
		arr = newArrays(r.Batches, len(data))
	}
	for i := range r.Batches {
		if err := r.Batches[i].resolve(data, isBinary, arr); err != nil {
			return nil, bad("batches[%d]: %v", i, err)
		}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeJSON decodes a request's JSON strictly with encoding/json (a single
// object, known fields only, right JSON types): what decodeFast leaves.
func decodeJSON(b []byte, isBinary bool) (*Request, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Request
	if err := dec.Decode(&r); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, bad("empty request: want a JSON object")
		}
		return nil, bad("%s", jsonError(err, b))
	}
	if _, err := dec.Token(); err != io.EOF {
		if isBinary {
			return nil, bad("trailing data after the JSON object in the JSON part of a binary request: its length in the header is wrong?")
		}
		return nil, bad("trailing data after the JSON object: send one object per request (several records go in its batches array)")
	}
	return &r, nil
}

// jsonError rewrites encoding/json errors into sentences.
func jsonError(err error, body []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		if nonFinite(body, se.Offset) {
			return fmt.Sprintf("NaN or Infinity at byte %d: JSON has no such numbers, and every loss must be finite (the run is diverging?)", se.Offset)
		}
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("request must be a JSON object, got JSON %s", te.Value)
		}
		return fmt.Sprintf("field %q: got JSON %s, want %s", te.Field, te.Value, jsontype.Want(te.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the request ends early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// nonFinite reports whether the JSON syntax error at offset off is a NaN
// or Infinity literal (as Python's json module writes them).
func nonFinite(b []byte, off int64) bool {
	lo := max(0, int(off)-2)
	hi := min(len(b), int(off)+9)
	w := string(b[lo:hi])
	return strings.Contains(w, "NaN") || strings.Contains(w, "Infinity")
}

// check validates what does not depend on the run.
func (r *Request) check() error {
	if r.Session == "" {
		return bad(`"session" is missing: give every request of one training job the same session name`)
	}
	if len(r.Session) > MaxSessionLen {
		return bad(`"session" is %d bytes: the limit is %d`, len(r.Session), MaxSessionLen)
	}
	if r.World == 0 {
		r.World = 1
	}
	if r.World < 1 || r.World > MaxWorld {
		return bad("world = %d out of range: want 1 to %d", r.World, MaxWorld)
	}
	if r.Rank < 0 || r.Rank >= r.World {
		return bad("rank = %d out of range: want 0 to world-1 = %d", r.Rank, r.World-1)
	}
	if r.Run < 0 {
		return bad("run = %d: want 0 (current) or a run number from a reply", r.Run)
	}
	if n := len(r.Batches) + len(r.Evals); n > MaxRecords {
		return bad("%d records in one request: the limit is %d", n, MaxRecords)
	}
	if r.Hello != nil {
		if err := r.Hello.check(); err != nil {
			return err
		}
	}
	for i := range r.Batches {
		if err := r.Batches[i].check(); err != nil {
			return bad("batches[%d]: %v", i, err)
		}
	}
	for i := range r.Evals {
		if err := r.Evals[i].check(); err != nil {
			return bad("evals[%d]: %v", i, err)
		}
	}
	return nil
}

// defaultStrategies are the strategies a client implements when its hello
// names none.
var defaultStrategies = []string{ohem.All, ohem.Random, ohem.TopK}

func (h *Hello) check() error {
	if h.Dataset == "" || len(h.Dataset) > 64 {
		return bad(`hello: "dataset" must name the data in 1 to 64 bytes`)
	}
	if len(h.Name) > 64 {
		return bad(`hello: "name" is %d bytes: the limit is 64`, len(h.Name))
	}
	if h.Classes < 2 || h.Classes > MaxClasses {
		return bad("hello: classes = %d out of range: want 2 to %d", h.Classes, MaxClasses)
	}
	if h.ClassNames != nil && len(h.ClassNames) != h.Classes {
		return bad("hello: %d class_names for %d classes: give one per class or none", len(h.ClassNames), h.Classes)
	}
	for i, n := range h.ClassNames {
		if len(n) > 64 {
			return bad("hello: class_names[%d] is %d bytes: the limit is 64", i, len(n))
		}
	}
	if h.NumTrain < 0 || h.NumTrain > MaxNumTrain || h.NumTest < 0 || h.NumTest > MaxNumTrain {
		return bad("hello: num_train and num_test must be 0 (unknown) to %d", MaxNumTrain)
	}
	if h.K < 1 || h.K > MaxK {
		return bad("hello: k = %d out of range: want 1 to %d (the batch size of one rank)", h.K, MaxK)
	}
	if h.Image != nil {
		if err := checkShape(h.Image); err != nil {
			return bad("hello: image: %v", err)
		}
	}
	if h.Strategies == nil {
		h.Strategies = defaultStrategies
	}
	for _, s := range h.Strategies {
		if !slices.Contains(ohem.Strategies, s) {
			return bad("hello: unknown strategy %q in strategies: want some of %s", clip(s), strings.Join(ohem.Strategies, ", "))
		}
	}
	if len(h.Arms) < 1 || len(h.Arms) > experiment.MaxArms {
		return bad("hello: %d arms: want 1 or 2", len(h.Arms))
	}
	for i := range h.Arms {
		a := &h.Arms[i]
		if len(a.Name) > experiment.MaxNameLen {
			return bad("hello: arms[%d].name is %d bytes: the limit is %d", i, len(a.Name), experiment.MaxNameLen)
		}
		if !slices.Contains(h.Strategies, a.Strategy) {
			return bad("hello: arms[%d].strategy %q is not among the client's strategies (%s)", i, clip(a.Strategy), strings.Join(h.Strategies, ", "))
		}
		if a.M == 0 && a.Ratio > 0 && a.Ratio <= 1 {
			a.M = max(1, int(a.Ratio*float64(h.K)))
		}
		if a.M < 1 || a.M > h.K {
			return bad("hello: arms[%d].m = %d out of range: want 1 to k = %d", i, a.M, h.K)
		}
		if !finite(a.LR) || a.LR < 0 || a.LR > experiment.MaxLR {
			return bad("hello: arms[%d].lr = %v out of range: want 0 (unknown) to %v", i, a.LR, experiment.MaxLR)
		}
		if !finite(a.Thresh) || a.Thresh < 0 || a.Thresh > 1 {
			return bad("hello: arms[%d].thresh = %v out of range: want 0 to 1", i, a.Thresh)
		}
		if a.MinKept < 0 || a.MinKept > h.K {
			return bad("hello: arms[%d].min_kept = %d out of range: want 0 to k = %d", i, a.MinKept, h.K)
		}
	}
	if h.EvalEvery < 0 || h.EvalEvery > experiment.MaxEvalEvery {
		return bad("hello: eval_every = %d out of range: want 0 (unknown) to %d", h.EvalEvery, experiment.MaxEvalEvery)
	}
	return nil
}

// checkShape checks an image shape [H, W] or [H, W, 3].
func checkShape(s []int) error {
	if len(s) != 2 && !(len(s) == 3 && s[2] == 3) {
		return fmt.Errorf("shape %v: want [H, W] or [H, W, 3]", s)
	}
	if s[0] < 1 || s[0] > MaxImageSide || s[1] < 1 || s[1] > MaxImageSide {
		return fmt.Errorf("shape %v: height and width must be 1 to %d", s, MaxImageSide)
	}
	return nil
}

// check validates one batch record on its own; arm, class and id ranges
// are checked against the run later.
func (b *Batch) check() error {
	if b.Arm < 0 || b.Arm >= experiment.MaxArms {
		return fmt.Errorf("arm = %d out of range: want 0 or 1", b.Arm)
	}
	if b.Step < 1 || b.Step > MaxStep {
		return fmt.Errorf("step = %d out of range: want 1 to 2^50", b.Step)
	}
	if b.Version < 0 {
		return fmt.Errorf("version = %d out of range: want the version of a reply (0 = not reported)", b.Version)
	}
	k := len(b.Losses)
	if k < 1 || k > MaxK {
		return fmt.Errorf("%d losses: want 1 to %d (one per example of the batch)", k, MaxK)
	}
	for i, l := range b.Losses {
		if !finite(l) {
			return fmt.Errorf("losses[%d] is %v: every loss must be a finite number (the run is diverging?)", i, l)
		}
	}
	for _, f := range []struct {
		name string
		n    int
		opt  bool
	}{{"labels", len(b.Labels), false}, {"preds", len(b.Preds), false}, {"ids", len(b.IDs), false},
		{"true_prob", len(b.TrueProb), true}, {"flipped", len(b.Flipped), true}} {
		if f.n != k && !(f.opt && f.n == 0) {
			return fmt.Errorf("K mismatch: %d losses but %d %s: every per-example array has one entry per example", k, f.n, f.name)
		}
	}
	for i, id := range b.IDs {
		if id < 0 || id >= MaxNumTrain {
			return fmt.Errorf("ids[%d] = %d out of range: want a dataset index from 0", i, id)
		}
	}
	for i, p := range b.TrueProb {
		if !finite(p) || p < 0 || p > 1 {
			return fmt.Errorf("true_prob[%d] = %v out of range: want a probability in [0, 1]", i, p)
		}
	}
	if len(b.Selected) > k {
		return fmt.Errorf("%d selected of %d examples", len(b.Selected), k)
	}
	for j, i := range b.Selected {
		if i < 0 || int(i) >= k {
			return fmt.Errorf("selected[%d] = %d out of range: want an index 0 to K-1 = %d", j, i, k-1)
		}
		if j > 0 && i <= b.Selected[j-1] {
			return fmt.Errorf("selected[%d] = %d after %d: selected indices must be increasing, each once", j, i, b.Selected[j-1])
		}
	}
	if b.Weights != nil {
		if len(b.Weights) != len(b.Selected) {
			return fmt.Errorf("%d weights for %d selected: give one weight per selected example or none", len(b.Weights), len(b.Selected))
		}
		for j, w := range b.Weights {
			if !finite(w) || w < 0 {
				return fmt.Errorf("weights[%d] = %v: want a finite number >= 0", j, w)
			}
		}
	}
	if b.M < 0 || b.M > k {
		return fmt.Errorf("m = %d out of range: want 0 (the selected count) to K = %d", b.M, k)
	}
	if b.Strategy != "" && !slices.Contains(ohem.Strategies, b.Strategy) {
		return fmt.Errorf("unknown strategy %q: want one of %s", clip(b.Strategy), strings.Join(ohem.Strategies, ", "))
	}
	if !finite(b.StepSeconds) || b.StepSeconds < 0 {
		return fmt.Errorf("step_seconds = %v: want a finite number >= 0", b.StepSeconds)
	}
	if b.Images != nil {
		if err := checkShape(b.Images.Shape); err != nil {
			return fmt.Errorf("images: %v", err)
		}
		px := b.pixels
		if px == nil {
			var err error
			if px, err = base64.StdEncoding.DecodeString(b.Images.Data); err != nil {
				return fmt.Errorf("images: data is not standard base64: %v", err)
			}
		}
		want := len(b.Selected)
		for _, d := range b.Images.Shape {
			want *= d
		}
		if len(px) != want {
			return fmt.Errorf("images: %d bytes for %d selected images of shape %v: want %d", len(px), len(b.Selected), b.Images.Shape, want)
		}
		b.pixels = px
	}
	return nil
}

func (e *Eval) check() error {
	if e.Arm < 0 || e.Arm >= experiment.MaxArms {
		return fmt.Errorf("arm = %d out of range: want 0 or 1", e.Arm)
	}
	if e.Step < 0 || e.Step > MaxStep {
		return fmt.Errorf("step = %d out of range: want 0 to 2^50", e.Step)
	}
	if !finite(e.TestLoss) {
		return fmt.Errorf("test_loss is %v: want a finite number", e.TestLoss)
	}
	if !finite(e.TestAccuracy) || e.TestAccuracy < 0 || e.TestAccuracy > 1 {
		return fmt.Errorf("test_accuracy = %v out of range: want [0, 1]", e.TestAccuracy)
	}
	for i, a := range e.PerClass {
		if !finite(a) || a < 0 || a > 1 {
			return fmt.Errorf("per_class[%d] = %v out of range: want [0, 1]", i, a)
		}
	}
	if len(e.PerClass) > MaxClasses {
		return fmt.Errorf("%d per_class entries: the limit is %d", len(e.PerClass), MaxClasses)
	}
	if len(e.Confusion) > 1000 {
		return fmt.Errorf("confusion has %d rows: the limit is 1000", len(e.Confusion))
	}
	for i, row := range e.Confusion {
		if len(row) != len(e.Confusion) {
			return fmt.Errorf("confusion row %d has %d entries for %d rows: want a square matrix", i, len(row), len(e.Confusion))
		}
		for _, v := range row {
			if v < 0 {
				return fmt.Errorf("confusion row %d has a negative count", i)
			}
		}
	}
	return nil
}

// Numbers is a JSON array of numbers in which null (what some encoders
// write for NaN) is refused instead of read as 0, or a string: the base64
// of little-endian float32 values (cheaper for clients to write).
type Numbers []float64

// UnmarshalJSON decodes an array of numbers, refusing null entries, or a
// base64 string of little-endian float32 values.
func (n *Numbers) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(text)
		if err != nil || len(raw)%4 != 0 {
			return errors.New("a string in place of an array of numbers must be the base64 of little-endian float32 values")
		}
		out := make([]float64, len(raw)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		*n = out
		return nil
	}
	if bytes.Contains(b, []byte("null")) {
		return errors.New("null in an array of numbers: NaN and infinite values are not accepted (the run is diverging?)")
	}
	return json.Unmarshal(b, (*[]float64)(n))
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clip shortens client text quoted in an error message.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	for i := 40; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return s[:40]
}
