package web

import (
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/internal/finitejson"
	"github.com/ohemlab/ohemlab/trainer"
)

// frame is one server frame with its JSON encoded once: body is a JSON
// object without the per-send fields ("t" and, for batch frames, "rows"
// and "gap"), which the writer adds.
//
// Frames the hub sends to every viewer also carry msg, the whole message
// with those fields, encoded once and shared by all viewers (gorilla
// frames it once per compression setting). For a batch frame msg carries
// the rows after from; a viewer whose row cursor is elsewhere encodes its
// own copy from body.
type frame struct {
	seq  int64
	kind string
	arm  int
	body []byte
	msg  *websocket.PreparedMessage
	from int64
}

// prepared returns f with msg set: "t" is now, the time it is encoded for
// every viewer.
func (f frame) prepared(now time.Time) frame {
	f.msg = preparedSend(f, now, nil, false)
	return f
}

// preparedSend encodes f for every viewer, or returns nil if it cannot
// (the writer then encodes it per viewer).
func preparedSend(f frame, now time.Time, rows [][]byte, gap bool) *websocket.PreparedMessage {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, appendSend(nil, f, now, rows, gap))
	if err != nil {
		return nil
	}
	return pm
}

// Example is one selected example of a batch frame.
type Example struct {
	I       int32   `json:"i"`
	ID      int32   `json:"id"`
	Label   int32   `json:"label"`
	Pred    int32   `json:"pred"`
	Loss    float32 `json:"loss"`
	P       float32 `json:"p"`
	Flipped bool    `json:"flipped"`
	// Rank is the process that trained the example, in a batch merged
	// from the ranks of a multi-process external trainer.
	Rank *int32 `json:"rank,omitempty"`
}

// batchWire is the body of a batch frame.
type batchWire struct {
	Type             string     `json:"type"`
	Seq              int64      `json:"seq"`
	Arm              int        `json:"arm"`
	Step             int64      `json:"step"`
	Version          int64      `json:"version"`
	K                int        `json:"k"`
	M                int        `json:"m"`
	Strategy         string     `json:"strategy"`
	Exec             string     `json:"exec"`
	Losses           []float32  `json:"losses"`
	Selected         []int32    `json:"selected"`
	Weights          []float32  `json:"weights"`
	Quantiles        [5]float32 `json:"quantiles"`
	KeptShare        float64    `json:"kept_share"`
	BatchLoss        float64    `json:"batch_loss"`
	SelLoss          float64    `json:"sel_loss"`
	SelFlippedShare  float64    `json:"sel_flipped_share"`
	ExamplesSeen     int64      `json:"examples_seen"`
	ExamplesBackprop int64      `json:"examples_backpropagated"`
	ExamplesForward  int64      `json:"examples_forwarded"`
	ComputeFLOPs     int64      `json:"compute_flops"`
	Scanned          int        `json:"scanned,omitempty"`
	WallSeconds      float64    `json:"wall_seconds"`
	StepSeconds      float64    `json:"step_seconds"`
	Examples         []Example  `json:"examples"`
	XY               []float32  `json:"xy,omitempty"`
	// Labels are the training labels of the whole batch, sent with XY so
	// that a 2-D view can colour the dropped points by class too.
	Labels []int32 `json:"labels,omitempty"`
}

// batchFrame encodes a batch event.
func batchFrame(seq int64, e *trainer.BatchEvent) (frame, error) {
	w := batchWire{
		Type: "batch", Seq: seq, Arm: e.Arm, Step: e.Step, Version: e.Version,
		K: e.K, M: e.M, Strategy: e.Strategy, Exec: e.Exec,
		Losses: nonNil(e.Losses), Selected: nonNil(e.Selected), Weights: nonNil(e.Weights),
		Quantiles: e.Quantiles, KeptShare: e.KeptShare, BatchLoss: e.BatchLoss,
		SelLoss: e.SelLoss, SelFlippedShare: e.SelFlippedShare,
		ExamplesSeen: e.ExamplesSeen, ExamplesBackprop: e.ExamplesBackprop,
		ExamplesForward: e.ExamplesForward, ComputeFLOPs: e.ComputeFLOPs, Scanned: e.Scanned,
		WallSeconds: e.WallSeconds, StepSeconds: e.StepSeconds,
		Examples: make([]Example, 0, len(e.Selected)),
	}
	at32 := func(s []int32, i int32) int32 {
		if int(i) < len(s) {
			return s[i]
		}
		return -1
	}
	atF := func(s []float32, i int32) float32 {
		if int(i) < len(s) {
			return s[i]
		}
		return 0
	}
	for _, i := range e.Selected {
		if i < 0 {
			continue
		}
		ex := Example{I: i, ID: at32(e.IDs, i), Label: at32(e.Labels, i), Pred: at32(e.Preds, i),
			Loss: atF(e.Losses, i), P: atF(e.TrueProb, i)}
		if int(i) < len(e.Flipped) {
			ex.Flipped = e.Flipped[i]
		}
		if int(i) < len(e.Ranks) {
			r := e.Ranks[i]
			ex.Rank = &r
		}
		w.Examples = append(w.Examples, ex)
	}
	if len(e.XY) == 2*len(e.IDs) && len(e.XY) > 0 {
		w.XY = e.XY
		if len(e.Labels) == len(e.IDs) {
			w.Labels = e.Labels
		}
	}
	b, err := finitejson.Marshal(&w)
	return frame{seq: seq, kind: "batch", arm: e.Arm, body: b}, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// eventFrame encodes an eval, config or status event as a frame:
// {"type":..., "seq":..., <the event's fields>}.
func eventFrame(seq int64, e trainer.Event) (frame, error) {
	b, err := finitejson.Marshal(e)
	if err != nil {
		return frame{}, err
	}
	return frame{seq: seq, kind: e.Kind(), body: withHead(e.Kind(), seq, b)}, nil
}

// withHead prefixes the JSON object obj with "type" and "seq".
func withHead(kind string, seq int64, obj []byte) []byte {
	out := make([]byte, 0, len(obj)+40)
	out = append(out, `{"type":`...)
	out = strconv.AppendQuote(out, kind)
	out = append(out, `,"seq":`...)
	out = strconv.AppendInt(out, seq, 10)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	return append(out, obj[1:]...)
}

// messageFrame encodes a per-viewer frame (hello, ack, error) from a
// struct or map whose fields follow "type" and "seq".
func messageFrame(kind string, seq int64, v any) frame {
	b, err := finitejson.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"cannot encode frame"}`)
	}
	return frame{seq: seq, kind: kind, body: withHead(kind, seq, b)}
}

// appendSend appends the bytes sent for f at time now: "t" first, then
// for batch frames "gap" and "rows", then the body.
func appendSend(dst []byte, f frame, now time.Time, rows [][]byte, gap bool) []byte {
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendFloat(dst, float64(now.UnixMicro())/1000, 'f', 3, 64)
	if f.kind == "batch" {
		if gap {
			dst = append(dst, `,"gap":true`...)
		}
		dst = append(dst, `,"rows":[`...)
		for i, r := range rows {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, r...)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, ',')
	return append(dst, f.body[1:]...)
}
