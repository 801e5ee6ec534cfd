package web

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxRowsPerFrame caps the summary rows one batch frame carries; beyond it
// the frame says gap: true and the client fetches /api/history. A viewer
// with its own batch interval (batch_ms) is sent a frame early when half
// of this is waiting, so that a fast trainer does not make it fetch the
// history (about 200 bytes a row).
const maxRowsPerFrame = 2048

// hardReadLimit is gorilla's read limit: messages above it close the
// connection (1009). Messages between MaxMessageBytes and this are
// discarded with an error frame and the connection stays up.
const hardReadLimit = 1 << 20

// maxRefusedPings is how many pings in a row beyond the message budget a
// viewer may send before it is closed (1008).
const maxRefusedPings = 100

// errPingFlood ends the read loop of a viewer that pings too often.
var errPingFlood = errors.New("too many pings")

// viewer is one websocket connection: a reader goroutine (control
// messages, pongs) and a writer goroutine (frames, pings).
type viewer struct {
	s       *Server
	h       *hub
	conn    *websocket.Conn
	control bool
	remote  string

	mu       sync.Mutex
	queue    []frame
	batches  []frame // latest per arm; seq 0 = none
	nbatches int     // arms with a pending batch frame
	overflow bool
	wake     chan struct{}

	stopOnce  sync.Once
	done      chan struct{} // closed to stop the writer
	goingAway bool          // under mu: send 1001 on stop
	flooding  bool          // under mu: send 1008, too many pings
	readDone  chan struct{}
	writeDone chan struct{}

	rowCursor int64 // writer only: highest row seq sent

	// minBatch is the least time between two batch sends this viewer asked
	// for (/ws?batch_ms=); the hub's interval applies when it is longer.
	// Batch frames that come sooner wait, the latest per arm replacing an
	// older one; their rows are not lost (the next frame carries them).
	minBatch time.Duration
}

func newViewer(s *Server, conn *websocket.Conn, control bool, remote string) *viewer {
	return &viewer{
		s: s, h: s.hub, conn: conn, control: control, remote: remote,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		readDone: make(chan struct{}), writeDone: make(chan struct{}),
	}
}

func (v *viewer) signal() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

func (v *viewer) stop() { v.stopOnce.Do(func() { close(v.done) }) }

// goAway stops the viewer with a going-away close frame.
func (v *viewer) goAway() {
	v.mu.Lock()
	v.goingAway = true
	v.mu.Unlock()
	v.stop()
}

// enqueue queues a frame that is never coalesced away. A viewer whose
// queue is full is dropped.
func (v *viewer) enqueue(f frame) {
	v.mu.Lock()
	if v.overflow {
		v.mu.Unlock()
		return
	}
	if len(v.queue) >= v.s.opts.ViewerQueue {
		v.overflow = true
		v.queue = nil
		v.mu.Unlock()
		v.stop()
		return
	}
	v.queue = append(v.queue, f)
	v.mu.Unlock()
	v.signal()
}

// offerBatch replaces the pending batch frame of f's arm. It wakes the
// writer only when nothing was pending: otherwise the writer already knows
// and sends at its next slot, so a fast trainer costs one wake-up per slot
// and viewer, not one per step.
func (v *viewer) offerBatch(f frame) {
	v.mu.Lock()
	for len(v.batches) <= f.arm {
		v.batches = append(v.batches, frame{})
	}
	if v.batches[f.arm].seq == 0 {
		v.nbatches++
	}
	// A viewer with its own interval hears of every frame: the writer
	// sends early when the rows waiting for it would not fit one frame.
	wake := (v.nbatches == 1 && v.batches[f.arm].seq == 0) || v.minBatch > 0
	v.batches[f.arm] = f
	v.mu.Unlock()
	if wake {
		v.signal()
	}
}

// sendError queues an error frame for this viewer only.
func (v *viewer) sendError(id, msg string) {
	v.sendErrorBody(errorBody{Error: msg, ID: id})
}

// sendErrorBody queues an error frame (with the field it concerns, if
// any) for this viewer only.
func (v *viewer) sendErrorBody(b errorBody) {
	v.enqueue(messageFrame("error", v.h.seq.Load(), b))
}

// ackBody is the payload of an ack frame.
type ackBody struct {
	ID      string `json:"id,omitempty"`
	Version int64  `json:"version"`
}

// serve runs the viewer until it disconnects or is stopped. It is called
// on its own goroutine (the reader); it starts the writer.
func (v *viewer) serve() {
	defer v.h.wg.Done()
	go v.writeLoop()
	v.readLoop()
	close(v.readDone)
	v.stop()
	<-v.writeDone
	v.conn.Close()
	v.h.remove(v)
	v.s.perAddr.release(clientHost(v.remote))
	v.h.release()
}

// readLoop reads control messages until the connection fails.
func (v *viewer) readLoop() {
	o := v.s.opts
	c := v.conn
	c.SetReadLimit(hardReadLimit)
	c.SetReadDeadline(time.Now().Add(o.PongWait))
	c.SetPongHandler(func(string) error {
		return c.SetReadDeadline(time.Now().Add(o.PongWait))
	})
	// Control messages and pings share one budget: a ping beyond it gets
	// no pong, and a peer that keeps pinging far beyond it is closed.
	lim := newLimiter(o.ControlRate, o.ControlBurst)
	refused := 0
	c.SetPingHandler(func(data string) error {
		if !lim.Allow() {
			if refused++; refused >= maxRefusedPings {
				v.mu.Lock()
				v.flooding = true
				v.mu.Unlock()
				v.stop()
				return errPingFlood
			}
			return nil
		}
		refused = 0
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(o.WriteWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		mt, r, err := c.NextReader()
		if err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(o.PongWait))
		if mt != websocket.TextMessage {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
			v.sendError("", "binary frames are not accepted: send control messages as JSON text frames")
			continue
		}
		b, err := io.ReadAll(io.LimitReader(r, MaxMessageBytes+1))
		if err != nil {
			return
		}
		if len(b) > MaxMessageBytes {
			n, err := io.Copy(io.Discard, r)
			if err != nil {
				return
			}
			v.sendError("", fmt.Sprintf("message too large: %d bytes, the limit is %d", int64(len(b))+n, MaxMessageBytes))
			continue
		}
		if !lim.Allow() {
			v.sendError("", fmt.Sprintf("too many control messages: at most %g per second (bursts of %d); this one was ignored", o.ControlRate, o.ControlBurst))
			continue
		}
		v.handle(b)
	}
}

// handle decodes and applies one control message, answering with an ack
// or an error frame to this viewer only.
func (v *viewer) handle(b []byte) {
	var c Control
	defer func() {
		// A panicking trainer call must not take the server down.
		if p := recover(); p != nil {
			v.s.log.Error("control panic", "type", c.Type, "panic", p, "stack", string(debug.Stack()))
			v.sendError(c.ID, "internal error: the message was not applied")
		}
	}()
	c, err := DecodeControl(b)
	if err != nil {
		v.sendErrorBody(errorBodyOf(err, c.ID))
		return
	}
	version, err := v.s.applyControl(c, v.control, v.remote)
	if err != nil {
		v.sendErrorBody(errorBodyOf(err, c.ID))
		return
	}
	v.s.log.Info("control", "type", c.Type, "remote", v.remote)
	v.enqueue(messageFrame("ack", v.h.seq.Load(), ackBody{ID: c.ID, Version: version}))
}

// writeLoop writes queued frames, the batch frames the hub offers (at most
// one per arm per batch interval, which the hub enforces, and per minBatch,
// which the writer does; a newer one replaces an unsent one) and pings
// until the viewer stops or a write fails. Frames the hub encoded for every viewer are sent as they are.
func (v *viewer) writeLoop() {
	defer close(v.writeDone)
	o := v.s.opts
	ping := time.NewTicker(o.PingInterval)
	defer ping.Stop()
	var buf []byte
	var out []frame
	var rows [][]byte
	var lastBatch time.Time
	held := time.NewTimer(time.Hour)
	held.Stop()
	defer held.Stop()
	heldOn := false
	for {
		select {
		case <-v.wake:
		case <-held.C:
			heldOn = false
		case <-ping.C:
			if err := v.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteWait)); err != nil {
				v.fail()
				return
			}
			continue
		case <-v.done:
			v.finish()
			return
		}
		now := time.Now()
		batchesDue := true
		if wait := v.minBatch - now.Sub(lastBatch); wait > 0 {
			// Early when half a frame's rows are waiting (a fast trainer):
			// the frame then carries them instead of a gap.
			batchesDue = v.rowsWaiting() >= maxRowsPerFrame/2
			if !batchesDue && !heldOn {
				held.Reset(wait)
				heldOn = true
			}
		}
		v.mu.Lock()
		for _, f := range v.queue {
			// A status frame (paused, finished) takes the held batch
			// frames with it: the viewer sees the step training stopped at.
			batchesDue = batchesDue || f.kind == "status"
		}
		out = append(out[:0], v.queue...)
		clear(v.queue)
		v.queue = v.queue[:0]
		for i := range v.batches {
			if batchesDue && v.batches[i].seq != 0 {
				out = append(out, v.batches[i])
				v.batches[i] = frame{}
				v.nbatches--
				lastBatch = now
			}
		}
		v.mu.Unlock()
		slices.SortStableFunc(out, func(a, b frame) int {
			switch {
			case a.seq < b.seq:
				return -1
			case a.seq > b.seq:
				return 1
			}
			return 0
		})
		for _, f := range out {
			v.conn.SetWriteDeadline(time.Now().Add(o.WriteWait))
			var err error
			if f.msg != nil && (f.kind != "batch" || f.from == v.rowCursor) {
				if f.kind == "batch" {
					v.rowCursor = f.seq
				}
				err = v.conn.WritePreparedMessage(f.msg)
			} else {
				var gap bool
				if f.kind == "batch" {
					rows, gap = v.rowsFor(rows[:0], f.seq)
				}
				buf = appendSend(buf[:0], f, time.Now(), rows, gap)
				err = v.conn.WriteMessage(websocket.TextMessage, buf)
			}
			if err != nil {
				v.fail()
				return
			}
			v.h.sent.Add(1)
		}
		clear(out)
	}
}

// rowsFor appends the rows a batch frame with sequence number seq carries
// and advances the cursor. gap is true when they are too many or no
// longer kept: the client then fetches /api/history?since=<cursor>.
func (v *viewer) rowsFor(dst [][]byte, seq int64) ([][]byte, bool) {
	if seq <= v.rowCursor {
		return dst, false
	}
	h := v.h.hist
	h.mu.RLock()
	dst, ok := h.rows.recentAfter(dst, v.rowCursor, seq, maxRowsPerFrame)
	h.mu.RUnlock()
	v.rowCursor = seq
	return dst, !ok
}

// rowsWaiting is how many rows the pending batch frames would carry if
// sent now: those after the last one this viewer was sent up to the newest
// pending frame (the history may already hold rows of frames not yet
// offered; counting those would send an older frame early and leave the
// rest to the viewer's next slot).
func (v *viewer) rowsWaiting() int {
	v.mu.Lock()
	upTo := int64(0)
	for _, f := range v.batches {
		upTo = max(upTo, f.seq)
	}
	v.mu.Unlock()
	if upTo <= v.rowCursor {
		return 0
	}
	h := v.h.hist
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.rows.countBetween(v.rowCursor, upTo)
}

// fail ends a viewer whose connection broke.
func (v *viewer) fail() {
	v.stop()
	v.conn.Close()
}

// finish ends a stopped viewer with a close frame: 1001 going away on
// shutdown, 1008 when it was too slow, 1000 otherwise, then waits briefly
// for the client's close reply before closing the connection.
func (v *viewer) finish() {
	v.mu.Lock()
	away, slow, flood := v.goingAway, v.overflow, v.flooding
	v.mu.Unlock()
	code, text := websocket.CloseNormalClosure, ""
	switch {
	case away:
		code, text = websocket.CloseGoingAway, "server shutting down"
	case flood:
		code, text = websocket.ClosePolicyViolation, fmt.Sprintf("too many pings: pings count towards the budget of %g messages per second", v.s.opts.ControlRate)
	case slow:
		code, text = websocket.ClosePolicyViolation, fmt.Sprintf("viewer too slow: more than %d frames waiting", v.s.opts.ViewerQueue)
	}
	err := v.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(v.s.opts.WriteWait))
	if err == nil {
		select {
		case <-v.readDone:
		case <-time.After(time.Second):
		}
	}
	v.conn.Close()
}
