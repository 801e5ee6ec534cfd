package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ohemlab/ohemlab/trainer"
)

// healthBody is the body of GET /healthz.
type healthBody struct {
	OK      bool   `json:"ok"`
	Status  string `json:"status"`
	Step    int64  `json:"step"`
	Viewers int    `json:"viewers"`
	Seq     int64  `json:"seq"`
	// Dropped counts events the hub could not take (it was stuck).
	Dropped int64 `json:"dropped_events"`
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	st := s.trainer.State()
	writeJSON(w, http.StatusOK, healthBody{OK: true, Status: st.Status, Step: st.Step,
		Viewers: s.hub.count(), Seq: s.hub.seq.Load(), Dropped: s.hub.dropped.Load()})
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.State())
}

// controlOK is the body of a successful POST /api/control.
type controlOK struct {
	OK      bool   `json:"ok"`
	ID      string `json:"id,omitempty"`
	Version int64  `json:"version"`
}

// serveControl applies one control message from an HTTP client.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	if !s.httpLim.allow(clientHost(r.RemoteAddr), time.Now()) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many control messages: at most %g per second (bursts of %d)", s.opts.ControlRate, s.opts.ControlBurst))
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxMessageBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("message too large: the limit is %d bytes", MaxMessageBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	}
	c, err := DecodeControl(b)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBodyOf(err, c.ID))
		return
	}
	version, err := s.applyControl(c, s.Role(r) == RoleControl, r.RemoteAddr)
	if err != nil {
		writeJSON(w, statusOf(err), errorBodyOf(err, c.ID))
		return
	}
	writeJSON(w, http.StatusOK, controlOK{OK: true, ID: c.ID, Version: version})
}

// serveHistory serves the summary rows, evals and configs after ?since=N.
func (s *Server) serveHistory(w http.ResponseWriter, r *http.Request) {
	since, err := queryInt(r, "since", 0, 0, 1<<62)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.hub.hist.since(since))
}

// queryInt parses an optional integer query parameter in [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	q := r.URL.Query()
	vals, ok := q[name]
	if !ok {
		return def, nil
	}
	if len(vals) != 1 {
		return 0, fmt.Errorf("parameter %q is given %d times: give it once", name, len(vals))
	}
	n, err := strconv.ParseInt(vals[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parameter %q = %q is not an integer", name, clip(vals[0]))
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("parameter %q = %d is out of range: want %d to %d", name, n, lo, hi)
	}
	return n, nil
}

// exampleBody is the body of GET /api/example/{id}.
type exampleBody struct {
	Arm int `json:"arm"`
	ExampleStatsJSON
	// Thumb is the thumbnail URL for image data sets.
	Thumb string `json:"thumb,omitempty"`
}

// serveExample serves one training example's statistics for ?arm=A.
func (s *Server) serveExample(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	arm, err := s.armParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	info := s.trainer.State().Dataset
	if n := info.NumTrain; id >= n && n > 0 { // 0: an external trainer's set, ids checked by Example
		writeError(w, http.StatusNotFound, fmt.Sprintf("no training example %d: ids run from 0 to %d", id, n-1))
		return
	}
	st, err := s.trainer.Example(arm, id)
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	body := exampleBody{Arm: arm, ExampleStatsJSON: ExampleStatsJSON(st)}
	has, some := s.trainer.(interface{ HasExampleImage(id int) bool })
	if info.ImageW > 0 && info.ImageH > 0 && (!some || has.HasExampleImage(id)) {
		body.Thumb = fmt.Sprintf("/api/examples/%d.png?gen=%d", id, info.Generation)
	}
	writeJSON(w, http.StatusOK, body)
}

// MaxDataMapPoints is the most points GET /api/datamap returns.
const MaxDataMapPoints = 100000

// DefaultDataMapPoints is the number of points without ?max.
const DefaultDataMapPoints = 20000

// serveDataMap serves the data map of ?arm=A with at most ?max=N points.
func (s *Server) serveDataMap(w http.ResponseWriter, r *http.Request) {
	arm, err := s.armParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	n, err := queryInt(r, "max", DefaultDataMapPoints, 1, MaxDataMapPoints)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	dm, err := s.trainer.DataMap(arm, int(n))
	if errors.Is(err, trainer.ErrLoading) {
		// No example is seen before the data is in memory.
		writeJSON(w, http.StatusOK, trainer.DataMap{Arm: arm, Points: []trainer.ExampleStats{}})
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, dm)
}

// armParam parses ?arm=A (default 0) against the current run's arms.
func (s *Server) armParam(r *http.Request) (int, error) {
	arms := int64(len(s.trainer.State().Config.Arms))
	if arms < 1 {
		arms = 1
	}
	a, err := queryInt(r, "arm", 0, 0, arms-1)
	return int(a), err
}

// pathID parses a non-negative decimal example id.
func pathID(s string) (int, error) {
	if s == "" || len(s) > 9 {
		return 0, fmt.Errorf("bad example id %q: want a decimal number from 0", clip(s))
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad example id %q: want a decimal number from 0", clip(s))
		}
	}
	n, _ := strconv.Atoi(s)
	return n, nil
}
