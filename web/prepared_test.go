package web

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
)

// readRawUntil returns the bytes of the next frame of type typ.
func readRawUntil(t *testing.T, c *websocket.Conn, typ string) []byte {
	t.Helper()
	for range 10000 {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Type string }
		if json.Unmarshal(b, &head) == nil && head.Type == typ {
			return b
		}
	}
	t.Fatalf("no %s frame", typ)
	return nil
}

// TestFramesEncodedOnce checks that viewers in step get the very same
// bytes (one encoding, one "t") for broadcast and batch frames, and that a
// viewer that joins later still gets every row once.
func TestFramesEncodedOnce(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchInterval = time.Millisecond })
	a, _ := e.dial(t, "")
	b, _ := e.dial(t, "")
	for step := int64(1); step <= 3; step++ {
		e.s.Publish(batchEvent(0, step))
		fa, fb := readRawUntil(t, a, "batch"), readRawUntil(t, b, "batch")
		if !bytes.Equal(fa, fb) {
			t.Errorf("step %d: the two viewers got different batch frames:\n%s\n%s", step, fa, fb)
		}
	}
	e.s.Publish(&trainer.StatusEvent{State: trainer.StatePaused, Step: 3})
	if sa, sb := readRawUntil(t, a, "status"), readRawUntil(t, b, "status"); !bytes.Equal(sa, sb) {
		t.Errorf("the two viewers got different status frames:\n%s\n%s", sa, sb)
	}

	late, _ := e.dial(t, "")
	for step := int64(4); step <= 6; step++ {
		e.s.Publish(batchEvent(0, step))
		fa := readRawUntil(t, a, "batch")
		fl := readRawUntil(t, late, "batch")
		var ra, rl struct {
			Rows []struct{ Step int64 } `json:"rows"`
		}
		json.Unmarshal(fa, &ra)
		json.Unmarshal(fl, &rl)
		if len(ra.Rows) != 1 || ra.Rows[0].Step != step || len(rl.Rows) != 1 || rl.Rows[0].Step != step {
			t.Errorf("step %d: rows %+v and %+v (late viewer), want one row of this step each", step, ra.Rows, rl.Rows)
		}
		if step > 4 && !bytes.Equal(fa, fl) {
			t.Errorf("step %d: the late viewer is in step but got its own encoding", step)
		}
	}
}
