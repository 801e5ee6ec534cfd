package web

import (
	"encoding/json"
	"sort"
	"sync"

	"github.com/ohemlab/ohemlab/trainer"
)

// Row is one training step's summary: what the curves are drawn from. Seq
// is the hub sequence number of the step's batch event.
type Row struct {
	Seq              int64      `json:"seq"`
	Arm              int        `json:"arm"`
	Step             int64      `json:"step"`
	Version          int64      `json:"version"`
	BatchLoss        float64    `json:"batch_loss"`
	SelLoss          float64    `json:"sel_loss"`
	Q                [5]float32 `json:"q"`
	KeptShare        float64    `json:"kept_share"`
	SelFlippedShare  float64    `json:"sel_flipped_share"`
	ExamplesSeen     int64      `json:"examples_seen"`
	ExamplesBackprop int64      `json:"examples_backpropagated"`
	Wall             float64    `json:"wall"`
	ExamplesForward  int64      `json:"examples_forwarded"`
	ComputeFLOPs     int64      `json:"compute_flops"`
	// Scanned is the pool size of an offline scan before this step.
	Scanned int `json:"scanned,omitempty"`
}

// rowOf summarises a batch event.
func rowOf(seq int64, e *trainer.BatchEvent) Row {
	return Row{
		Seq: seq, Arm: e.Arm, Step: e.Step, Version: e.Version,
		BatchLoss: e.BatchLoss, SelLoss: e.SelLoss, Q: e.Quantiles,
		KeptShare: e.KeptShare, SelFlippedShare: e.SelFlippedShare,
		ExamplesSeen: e.ExamplesSeen, ExamplesBackprop: e.ExamplesBackprop,
		Wall: e.WallSeconds, ExamplesForward: e.ExamplesForward, ComputeFLOPs: e.ComputeFLOPs, Scanned: e.Scanned,
	}
}

// item is one stored history entry with its JSON encoded once.
type item struct {
	seq  int64
	arm  int
	json []byte
}

// series keeps every recent item at full resolution and older ones
// downsampled: when an item leaves the recent ring it joins the archive,
// which keeps every stride-th item of each arm; when the archive is full
// the stride doubles and every other archived item of each arm is dropped.
type series struct {
	recentCap, archiveCap int
	recent                []item // oldest first; bounded by recentCap
	archive               []item
	stride                int
	counts                map[int]int // per-arm count of items offered to the archive
	evictedMax            int64       // highest seq that left the recent ring
}

func newSeries(recentCap, archiveCap int) *series {
	return &series{recentCap: recentCap, archiveCap: archiveCap, stride: 1, counts: map[int]int{}}
}

func (s *series) add(it item) {
	if len(s.recent) == s.recentCap {
		// The window moves on instead of shifting every item (a copy of
		// the whole ring per step, the largest cost of ingesting a fast
		// external trainer's batches); append moves it to a new array when
		// the old one's end is reached, every few thousand items.
		old := s.recent[0]
		s.recent[0] = item{}
		s.recent = s.recent[1:]
		s.evictedMax = old.seq
		s.toArchive(old)
	}
	s.recent = append(s.recent, it)
}

func (s *series) toArchive(it item) {
	n := s.counts[it.arm]
	s.counts[it.arm] = n + 1
	if n%s.stride != 0 {
		return
	}
	s.archive = append(s.archive, it)
	if len(s.archive) <= s.archiveCap {
		return
	}
	s.stride *= 2
	ord := map[int]int{}
	kept := s.archive[:0]
	for _, a := range s.archive {
		if ord[a.arm]%2 == 0 {
			kept = append(kept, a)
		}
		ord[a.arm]++
	}
	clear(s.archive[len(kept):])
	s.archive = kept
}

// after appends to dst the JSON of every kept item with seq > since and
// reports whether some items after since were downsampled away.
func (s *series) after(dst []json.RawMessage, since int64) ([]json.RawMessage, bool) {
	downsampled := false
	if since < s.evictedMax && s.stride > 1 {
		downsampled = true
	}
	for _, it := range s.archive {
		if it.seq > since {
			dst = append(dst, it.json)
		}
	}
	i := sort.Search(len(s.recent), func(i int) bool { return s.recent[i].seq > since })
	for _, it := range s.recent[i:] {
		dst = append(dst, it.json)
	}
	return dst, downsampled
}

// recentAfter appends to dst the rows with since < seq <= upto, all of
// them from the recent ring. It returns ok = false, appending nothing, when
// some of them are no longer in the ring or there are more than max.
func (s *series) recentAfter(dst [][]byte, since, upto int64, max int) ([][]byte, bool) {
	if since < s.evictedMax {
		return dst, false
	}
	i := sort.Search(len(s.recent), func(i int) bool { return s.recent[i].seq > since })
	j := sort.Search(len(s.recent), func(i int) bool { return s.recent[i].seq > upto })
	if j-i > max {
		return dst, false
	}
	for _, it := range s.recent[i:j] {
		dst = append(dst, it.json)
	}
	return dst, true
}

// countBetween is how many recent items have since < seq <= upTo, or more
// than the ring holds when items after since have left it.
func (s *series) countBetween(since, upTo int64) int {
	if since < s.evictedMax {
		return s.recentCap + 1
	}
	i := sort.Search(len(s.recent), func(i int) bool { return s.recent[i].seq > since })
	j := sort.Search(len(s.recent), func(j int) bool { return s.recent[j].seq > upTo })
	return j - i
}

func (s *series) reset() {
	clear(s.recent)
	s.recent = s.recent[:0]
	s.archive = nil
	s.stride = 1
	clear(s.counts)
	s.evictedMax = 0
}

// history holds the current run's summary rows, evaluations (without
// decision surfaces) and config changes, for /api/history and for the rows
// carried by batch frames. It is reset when the trainer resets.
type history struct {
	mu       sync.RWMutex // guards the rest; only history's methods take it
	rows     *series
	evals    *series
	configs  *series
	runStart int64
	last     int64
}

// History sizes: recent rows at full resolution, and the archive caps.
const (
	historyRecentRows   = 8192
	historyArchiveRows  = 8192
	historyRecentEvals  = 1024
	historyArchiveEvals = 1024
	historyConfigs      = 1024
)

func newHistory() *history {
	return &history{
		rows:    newSeries(historyRecentRows, historyArchiveRows),
		evals:   newSeries(historyRecentEvals, historyArchiveEvals),
		configs: newSeries(historyConfigs, historyConfigs),
	}
}

// HistoryResponse is the body of GET /api/history.
type HistoryResponse struct {
	// Seq is the latest hub sequence number covered.
	Seq int64 `json:"seq"`
	// RunStartSeq is the seq of the last reset (0 before any).
	RunStartSeq int64 `json:"run_start_seq"`
	// Downsampled is true when some rows or evals after since were
	// thinned out because the run is long.
	Downsampled bool              `json:"downsampled"`
	Rows        []json.RawMessage `json:"rows"`
	Evals       []json.RawMessage `json:"evals"`
	Configs     []json.RawMessage `json:"configs"`
}

// setLast records seq as the latest covered.
func (h *history) setLast(seq int64) {
	h.mu.Lock()
	h.last = seq
	h.mu.Unlock()
}

// lastSeq is the latest seq covered.
func (h *history) lastSeq() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.last
}

// addRow stores a batch row.
func (h *history) addRow(it item) {
	h.mu.Lock()
	h.rows.add(it)
	h.last = it.seq
	h.mu.Unlock()
}

// addEval stores an evaluation.
func (h *history) addEval(it item) {
	h.mu.Lock()
	h.evals.add(it)
	h.last = it.seq
	h.mu.Unlock()
}

// addConfig stores a config change; a reset first forgets the run so far.
func (h *history) addConfig(it item, reset bool) {
	h.mu.Lock()
	if reset {
		h.rows.reset()
		h.evals.reset()
		h.configs.reset()
		h.runStart = it.seq
	}
	h.configs.add(it)
	h.last = it.seq
	h.mu.Unlock()
}

// recentRows returns the rows after from up to to (at most max) and false
// when some of them have left the recent ring.
func (h *history) recentRows(from, to int64, max int) ([][]byte, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.rows.recentAfter(nil, from, to, max)
}

func (h *history) since(since int64) HistoryResponse {
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := HistoryResponse{Seq: h.last, RunStartSeq: h.runStart,
		Rows: []json.RawMessage{}, Evals: []json.RawMessage{}, Configs: []json.RawMessage{}}
	var d1, d2 bool
	r.Rows, d1 = h.rows.after(r.Rows, since)
	r.Evals, d2 = h.evals.after(r.Evals, since)
	r.Configs, _ = h.configs.after(r.Configs, since)
	r.Downsampled = d1 || d2
	return r
}
