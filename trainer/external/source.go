package external

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// StateWaiting is the run state before any trainer has connected.
const StateWaiting = "waiting"

// DefaultLongPoll is how long a waiting request is held at most.
const DefaultLongPoll = 20 * time.Second

// Options configure a Source.
type Options struct {
	// Sink receives the events; nil discards them.
	Sink trainer.Sink
	// Paused starts paused: the first trainer waits for resume.
	Paused bool
	// Command is the command line that starts a trainer, shown while
	// none is connected.
	Command string
	// LongPoll bounds how long a request with "wait" is held (default
	// DefaultLongPoll).
	LongPoll time.Duration
}

// Source stands in for the trainer of an external training process: it implements the
// web server's trainer interface (Apply, Pause, Resume, StepOnce, Reset,
// RequestEval, State, Dataset, DataMap, Example) and Ingest for POST
// /api/ingest. Safe for concurrent use.
type Source struct {
	opt Options

	mu      sync.Mutex
	cfg     trainer.Config
	version int64
	run     int64 // run number: grows with every new job and every reset
	rev     int64 // control revision: grows with every change a client must see
	// gathering: publish collects events in gathered (one request's), for
	// publishGathered.
	gathering bool
	gathered  []trainer.Event
	changed   chan struct{}
	paused    bool
	stepReq   bool
	evalReq   bool
	stopped   bool

	hello    *Hello
	session  string
	world    int
	started  time.Time
	step     int64
	arms     []*armRun
	merge    *merger
	images   *imageCache
	received int64 // batch records accepted
	// versioned: the client reports the control version it applied with
	// each batch (Batch.Version), so a change is stamped at the first batch
	// that used it: until then its config event waits in held.
	versioned bool
	held      []*trainer.ConfigEvent
}

// armRun is one arm's progress and per-example statistics.
type armRun struct {
	state     trainer.ArmState
	stats     *stats
	lossSum   float64 // batch losses since the last eval
	lossCount int
}

// New returns a Source waiting for a trainer.
func New(opt Options) *Source {
	if opt.LongPoll <= 0 {
		opt.LongPoll = DefaultLongPoll
	}
	return &Source{opt: opt, paused: opt.Paused, changed: make(chan struct{}), version: 0}
}

// Run blocks until ctx is done: the training happens elsewhere. It
// returns nil.
func (s *Source) Run(ctx context.Context) error {
	<-ctx.Done()
	s.mu.Lock()
	s.releaseAll() // saved runs keep every change
	s.stopped = true
	s.bump()
	s.mu.Unlock()
	return nil
}

// bump makes waiting requests return; s.mu is held.
func (s *Source) bump() {
	s.rev++
	close(s.changed)
	s.changed = make(chan struct{})
}

// publish hands e to the sink; s.mu is held, so events keep their order.
func (s *Source) publish(e trainer.Event) {
	if s.gathering {
		s.gathered = append(s.gathered, e)
		return
	}
	if s.opt.Sink != nil {
		s.opt.Sink.Publish(e)
	}
}

// publishGathered hands the events of one request to the sink at once
// (trainer.PublishAll); s.mu is held.
func (s *Source) publishGathered() {
	s.gathering = false
	if s.opt.Sink != nil && len(s.gathered) > 0 {
		trainer.PublishAll(s.opt.Sink, s.gathered)
	}
	clear(s.gathered)
	s.gathered = s.gathered[:0]
}

// waitingReason is the status reason while no trainer is connected.
func (s *Source) waitingReason() string {
	if s.opt.Command == "" {
		return "waiting for a training process to POST /api/ingest"
	}
	return "waiting for a training process: start one with " + s.opt.Command
}

// noJob is the error of controls before a trainer connects.
func (s *Source) noJob() error {
	return errors.New("no training process is connected yet: " + strings.TrimPrefix(s.waitingReason(), "waiting for a training process: "))
}

// configOf turns a hello into the run's config.
func configOf(h *Hello) trainer.Config {
	cfg := trainer.Config{
		Data:      data.Config{Name: h.Dataset},
		K:         h.K,
		EvalEvery: h.EvalEvery,
	}
	for _, a := range h.Arms {
		name := a.Name
		if name == "" {
			name = a.Strategy
		}
		cfg.Arms = append(cfg.Arms, trainer.ArmConfig{
			Name:   name,
			Select: ohem.Params{Strategy: a.Strategy, M: a.M, Thresh: a.Thresh, MinKept: a.MinKept},
			LR:     a.LR,
		})
	}
	return cfg
}

// startJob begins a new run for a hello of a new session; s.mu is held.
func (s *Source) startJob(h *Hello, session string, world int) {
	s.hello = h
	s.session = session
	s.world = world
	s.cfg = configOf(h)
	s.newRun([]string{"data", "k", "arms"})
	state := trainer.StateRunning
	if s.paused {
		state = trainer.StatePaused
	}
	s.publish(&trainer.StatusEvent{State: state, Reason: "training process connected: " + h.name()})
}

func (h *Hello) name() string {
	if h.Name != "" {
		return h.Name
	}
	return h.Dataset
}

// newRun starts a run over (a new job or a reset); s.mu is held.
func (s *Source) newRun(changed []string) {
	s.run++
	s.version++
	s.step = 0
	s.stepReq = false
	s.evalReq = false
	s.started = time.Now()
	s.arms = make([]*armRun, len(s.cfg.Arms))
	for i := range s.arms {
		s.arms[i] = &armRun{stats: newStats(s.hello.NumTrain), state: trainer.ArmState{Name: s.cfg.Arms[i].Name}}
	}
	s.merge = newMerger(s.world)
	s.images = newImageCache(maxImages)
	s.versioned = false
	s.held = nil // the new run's config supersedes them
	s.publish(&trainer.ConfigEvent{Version: s.version, Step: 1, Config: cloneConfig(s.cfg), Changed: changed, Reset: true})
	s.bump()
}

func cloneConfig(c trainer.Config) trainer.Config {
	c.Arms = slices.Clone(c.Arms)
	c.Model.Hidden = slices.Clone(c.Model.Hidden)
	return c
}

// Ingest applies one POST /api/ingest body and returns the reply. A
// *BadRequest error means nothing of the request was applied.
func (s *Source) Ingest(ctx context.Context, body []byte) (*Reply, error) {
	req, err := DecodeRequest(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil, &BadRequest{Msg: "the server is shutting down"}
	}
	if req.Hello != nil && req.Session != s.session {
		s.startJob(req.Hello, req.Session, req.World)
	}
	if req.Session != s.session {
		s.mu.Unlock()
		if s.session == "" {
			return nil, bad("no hello yet: the first request of a training job must carry \"hello\"")
		}
		return nil, bad("session %q is not the current job (%q): send \"hello\" to start a new run", clip(req.Session), clip(s.session))
	}
	if req.World != s.world {
		s.mu.Unlock()
		return nil, bad("world = %d but this job started with world = %d: every rank must send the same world size", req.World, s.world)
	}
	if err := s.checkRun(req); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	accepted, stale := 0, 0
	if req.Run == 0 || req.Run == s.run {
		s.gathering = true
		for i := range req.Batches {
			s.addBatch(req.Rank, &req.Batches[i])
		}
		for i := range req.Evals {
			if req.Rank == 0 {
				s.addEval(&req.Evals[i])
			}
		}
		s.publishGathered()
		accepted = len(req.Batches) + len(req.Evals)
	} else {
		stale = len(req.Batches) + len(req.Evals)
	}
	if req.Wait != nil && *req.Wait == s.rev {
		ch := s.changed
		s.mu.Unlock()
		t := time.NewTimer(s.opt.LongPoll)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		s.mu.Lock()
	}
	rep := s.reply()
	s.mu.Unlock()
	rep.Accepted, rep.Stale = accepted, stale
	return rep, nil
}

// checkRun checks the records against the job's hello; s.mu is held.
func (s *Source) checkRun(req *Request) error {
	h := s.hello
	for i := range req.Batches {
		b := &req.Batches[i]
		if err := s.checkBatch(h, b); err != nil {
			return bad("batches[%d]: %v", i, err)
		}
	}
	for i := range req.Evals {
		e := &req.Evals[i]
		if e.Arm >= len(h.Arms) {
			return bad("evals[%d]: arm = %d but the job has %d arm(s)", i, e.Arm, len(h.Arms))
		}
		if len(e.PerClass) > 0 && len(e.PerClass) != h.Classes {
			return bad("evals[%d]: %d per_class entries for %d classes", i, len(e.PerClass), h.Classes)
		}
		if len(e.Confusion) > 0 && len(e.Confusion) != h.Classes {
			return bad("evals[%d]: confusion has %d rows for %d classes", i, len(e.Confusion), h.Classes)
		}
	}
	return nil
}

func (s *Source) checkBatch(h *Hello, b *Batch) error {
	if b.Arm >= len(h.Arms) {
		return fmt.Errorf("arm = %d but the job has %d arm(s)", b.Arm, len(h.Arms))
	}
	if len(b.Losses) > h.K {
		return fmt.Errorf("K mismatch: %d losses but the job's hello declared k = %d per rank", len(b.Losses), h.K)
	}
	for i, l := range b.Labels {
		if l < 0 || int(l) >= h.Classes {
			return fmt.Errorf("labels[%d] = %d out of range: want a class 0 to %d", i, l, h.Classes-1)
		}
	}
	for i, p := range b.Preds {
		if p < 0 || int(p) >= h.Classes {
			return fmt.Errorf("preds[%d] = %d out of range: want a class 0 to %d", i, p, h.Classes-1)
		}
	}
	if h.NumTrain > 0 {
		for i, id := range b.IDs {
			if id >= int64(h.NumTrain) {
				return fmt.Errorf("ids[%d] = %d out of range: the training set has %d examples (ids 0 to %d)", i, id, h.NumTrain, h.NumTrain-1)
			}
		}
	}
	if b.Images != nil && !slices.Equal(b.Images.Shape, h.Image) {
		if h.Image == nil {
			return errors.New("images sent but the hello declared no image shape: add \"image\": [H, W] to the hello")
		}
		return fmt.Errorf("images: shape %v differs from the hello's image %v", b.Images.Shape, h.Image)
	}
	if b.Strategy != "" && !slices.Contains(h.Strategies, b.Strategy) {
		return fmt.Errorf("strategy %q is not among the hello's strategies (%s)", clip(b.Strategy), strings.Join(h.Strategies, ", "))
	}
	return nil
}

// addBatch takes one rank's batch: alone it is the step's event, in a
// multi-rank job it waits for the other ranks; s.mu is held.
func (s *Source) addBatch(rank int, b *Batch) {
	s.received++
	if s.paused && s.stepReq {
		s.stepReq = false // the single step went through
		s.bump()
	}
	if s.world == 1 {
		s.emit(b, nil)
		return
	}
	for _, m := range s.merge.add(rank, b) {
		s.emit(m.batch, m.ranks)
	}
}

// emit publishes one (maybe merged) batch as a BatchEvent and updates the
// statistics; s.mu is held.
func (s *Source) emit(b *Batch, ranks []int32) {
	a := s.arms[b.Arm]
	cfgArm := s.cfg.Arms[b.Arm]
	k := len(b.Losses)
	version := s.version
	if b.Version > 0 && b.Version <= s.version {
		// The client says which control version it used: the changes up
		// to it take effect at this step.
		version = b.Version
		s.versioned = true
		s.releaseHeld(b.Version, b.Step)
	}
	// The event's arrays: one allocation of int32s and one of float32s
	// (each slice capped, so that an append cannot reach the next).
	m := len(b.Selected)
	ints := make([]int32, 3*k+m)
	floats := make([]float32, 2*k+m)
	ev := &trainer.BatchEvent{
		Arm:      b.Arm,
		Step:     b.Step,
		Version:  version,
		K:        k,
		M:        b.M,
		Strategy: b.Strategy,
		Exec:     "external",
		IDs:      ints[:k:k],
		Labels:   ints[k : 2*k : 2*k],
		Preds:    ints[2*k : 3*k : 3*k],
		Losses:   floats[:k:k],
		TrueProb: floats[k : 2*k : 2*k],
		Weights:  floats[2*k:],
		Ranks:    ranks,
	}
	copy(ev.Labels, b.Labels)
	copy(ev.Preds, b.Preds)
	if b.Selected != nil {
		ev.Selected = ints[3*k:]
		copy(ev.Selected, b.Selected)
	}
	if ev.M == 0 {
		ev.M = len(b.Selected)
	}
	if ev.Strategy == "" {
		ev.Strategy = cfgArm.Select.Strategy
	}
	if b.Flipped != nil {
		ev.Flipped = slices.Clone(b.Flipped)
	}
	for i, l := range b.Losses {
		ev.Losses[i] = float32(l)
		ev.IDs[i] = int32(b.IDs[i])
	}
	for i, p := range b.TrueProb {
		ev.TrueProb[i] = float32(p)
	}
	wsum := 0.0
	for _, w := range b.Weights {
		wsum += w
	}
	for j := range b.Selected {
		switch {
		case b.Weights != nil && wsum > 0:
			ev.Weights[j] = float32(b.Weights[j] / wsum)
		default:
			ev.Weights[j] = float32(1 / float64(len(b.Selected)))
		}
	}
	trainer.SummarizeBatch(ev, b.Losses, b.Selected, b.Flipped, nil)
	st := &a.state
	st.Step = max(st.Step, b.Step)
	st.ExamplesSeen += int64(k)
	st.ExamplesBackprop += int64(len(b.Selected))
	st.ExamplesForward = st.ExamplesSeen
	st.WallSeconds = time.Since(s.started).Seconds()
	ev.StepSeconds = b.StepSeconds
	ev.ExamplesSeen = st.ExamplesSeen
	ev.ExamplesBackprop = st.ExamplesBackprop
	ev.ExamplesForward = st.ExamplesSeen // every example of a batch is forwarded; FLOPs are unknown
	ev.WallSeconds = st.WallSeconds
	a.lossSum += ev.BatchLoss
	a.lossCount++
	s.step = max(s.step, b.Step)
	a.stats.update(b, ev.Step)
	if b.pixels != nil {
		s.images.add(b)
	}
	s.publish(ev)
}

// releaseHeld publishes the held config events of versions up to
// version, stamped at step (the first batch that used them); s.mu is held.
func (s *Source) releaseHeld(version, step int64) {
	n := 0
	for n < len(s.held) && s.held[n].Version <= version {
		ev := s.held[n]
		ev.Step = step
		s.publish(ev)
		n++
	}
	if n > 0 {
		s.held = slices.Delete(s.held, 0, n)
	}
}

// releaseAll publishes every held config event at the step after the
// last one received (the client applies them at its next step); s.mu is
// held.
func (s *Source) releaseAll() {
	for _, ev := range s.held {
		ev.Step = s.step + 1
		s.publish(ev)
	}
	s.held = nil
}

// addEval publishes an evaluation; s.mu is held.
func (s *Source) addEval(e *Eval) {
	a := s.arms[e.Arm]
	ev := &trainer.EvalEvent{
		Arm:              e.Arm,
		Step:             e.Step,
		Version:          s.version,
		ExamplesBackprop: a.state.ExamplesBackprop,
		ExamplesForward:  a.state.ExamplesSeen,
		WallSeconds:      time.Since(s.started).Seconds(),
		TestLoss:         e.TestLoss,
		TestAccuracy:     e.TestAccuracy,
		PerClass:         slices.Clone(e.PerClass),
		Confusion:        e.Confusion,
	}
	if a.lossCount > 0 {
		ev.TrainLoss = a.lossSum / float64(a.lossCount)
	}
	a.lossSum, a.lossCount = 0, 0
	last := *ev
	a.state.LastEval = &last
	if s.evalReq {
		s.evalReq = false
		s.bump()
	}
	s.publish(ev)
}

// ArmControl is one arm's settings in a reply.
type ArmControl struct {
	Name     string  `json:"name"`
	Strategy string  `json:"strategy"`
	M        int     `json:"m"`
	Ratio    float64 `json:"ratio"`
	LR       float64 `json:"lr"`
	Thresh   float64 `json:"thresh,omitempty"`
	MinKept  int     `json:"min_kept,omitempty"`
}

// Reply is the body of a successful POST /api/ingest: the control state
// of every arm.
type Reply struct {
	OK bool `json:"ok"`
	// Revision grows with every change; send it back as "wait" to long-poll.
	Revision int64 `json:"revision"`
	// Run grows with every new job and reset: a client that declared
	// can_reset starts over when it grows.
	Run     int64  `json:"run"`
	Version int64  `json:"version"`
	Status  string `json:"status"`
	Paused  bool   `json:"paused"`
	// Step: a single step is pending: run exactly one batch, then wait.
	Step bool `json:"step"`
	// Eval: an evaluation is requested.
	Eval      bool         `json:"eval"`
	SpeedCap  float64      `json:"speed_cap"`
	EvalEvery int          `json:"eval_every"`
	K         int          `json:"k"`
	Arms      []ArmControl `json:"arms"`
	Accepted  int          `json:"accepted"`
	Stale     int          `json:"stale"`
}

// reply builds the control state; s.mu is held.
func (s *Source) reply() *Reply {
	r := &Reply{OK: true, Revision: s.rev, Run: s.run, Version: s.version, Status: s.status(),
		Paused: s.paused || s.stopped, Step: s.stepReq, Eval: s.evalReq,
		SpeedCap: s.cfg.SpeedCap, EvalEvery: s.cfg.EvalEvery, K: s.cfg.K}
	for _, a := range s.cfg.Arms {
		r.Arms = append(r.Arms, ArmControl{Name: a.Name, Strategy: a.Select.Strategy, M: a.Select.M,
			Ratio: float64(a.Select.M) / float64(max(1, s.cfg.K)), LR: a.LR, Thresh: a.Select.Thresh, MinKept: a.Select.MinKept})
	}
	return r
}

// status is the run state; s.mu is held.
func (s *Source) status() string {
	switch {
	case s.stopped:
		return trainer.StateStopped
	case s.hello == nil:
		return StateWaiting
	case s.paused:
		return trainer.StatePaused
	}
	return trainer.StateRunning
}

// State returns a snapshot for /api/state and new viewers.
func (s *Source) State() trainer.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := trainer.State{Config: cloneConfig(s.cfg), Version: s.version, Status: s.status(), Step: s.step}
	if s.hello == nil {
		st.Reason = s.waitingReason()
		st.Dataset = trainer.DatasetInfo{Name: "external", Generation: s.run}
		return st
	}
	for _, a := range s.arms {
		as := a.state
		if as.LastEval != nil {
			e := *as.LastEval
			as.LastEval = &e
		}
		st.Arms = append(st.Arms, as)
	}
	h := s.hello
	st.Dataset = trainer.DatasetInfo{Name: h.Dataset, Classes: h.Classes, ClassNames: s.classNames(),
		NumTrain: h.NumTrain, NumTest: h.NumTest, Generation: s.run}
	if len(h.Image) >= 2 {
		st.Dataset.ImageH, st.Dataset.ImageW = h.Image[0], h.Image[1]
		st.Dataset.SomeImages = true
	}
	return st
}

func (s *Source) classNames() []string {
	h := s.hello
	if h.ClassNames != nil {
		return slices.Clone(h.ClassNames)
	}
	out := make([]string, h.Classes)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

// Dataset describes the job's data; it holds no examples (they live in
// the training process).
func (s *Source) Dataset() *data.Set {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hello == nil {
		return &data.Set{Name: "external"}
	}
	ds := &data.Set{Name: s.hello.Dataset, Classes: s.hello.Classes, ClassNames: s.classNames()}
	if len(s.hello.Image) >= 2 {
		ds.ImageH, ds.ImageW = s.hello.Image[0], s.hello.Image[1]
	}
	return ds
}

// ExampleImage returns the image a client sent for training example id.
func (s *Source) ExampleImage(id int) (image.Image, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.images == nil {
		return nil, errors.New("no images received yet")
	}
	return s.images.get(int64(id))
}

// HasExampleImage reports whether a client sent example id's image (and it
// is still kept): the page shows thumbnails of those only.
func (s *Source) HasExampleImage(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.images == nil {
		return false
	}
	_, ok := s.images.byID[int64(id)]
	return ok
}

// armAt returns arm's run; s.mu is held.
func (s *Source) armAt(arm int) (*armRun, error) {
	if s.hello == nil {
		return nil, s.noJob()
	}
	if arm < 0 || arm >= len(s.arms) {
		return nil, fmt.Errorf("arm = %d out of range: want 0 <= arm <= %d", arm, len(s.arms)-1)
	}
	return s.arms[arm], nil
}

// DataMap returns up to max examples' statistics of arm.
func (s *Source) DataMap(arm, max int) (trainer.DataMap, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hello == nil && arm == 0 {
		return trainer.DataMap{Points: []trainer.ExampleStats{}}, nil // nothing seen yet
	}
	a, err := s.armAt(arm)
	if err != nil {
		return trainer.DataMap{}, err
	}
	total, pts := a.stats.dataMap(max)
	return trainer.DataMap{Arm: arm, Step: a.state.Step, Total: total, Points: pts}, nil
}

// Example returns one training example's statistics for arm.
func (s *Source) Example(arm int, id int) (trainer.ExampleStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.armAt(arm)
	if err != nil {
		return trainer.ExampleStats{}, err
	}
	return a.stats.example(int64(id))
}

// Pause makes the client stop before its next batch.
func (s *Source) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		return
	}
	s.paused = true
	// A paused client applies the held changes at its next step.
	s.releaseAll()
	s.publish(&trainer.StatusEvent{State: trainer.StatePaused, Step: s.step})
	s.bump()
}

// Resume lets the client go on.
func (s *Source) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return trainer.ErrStopped
	}
	if !s.paused {
		return nil
	}
	s.paused = false
	s.stepReq = false
	if s.hello != nil {
		s.publish(&trainer.StatusEvent{State: trainer.StateRunning, Step: s.step})
	}
	s.bump()
	return nil
}

// StepOnce lets exactly one batch through while paused.
func (s *Source) StepOnce() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return trainer.ErrStopped
	}
	if !s.paused {
		return errors.New("single step needs a paused run: pause first")
	}
	if s.hello == nil {
		return s.noJob()
	}
	s.stepReq = true
	s.bump()
	return nil
}

// RequestEval asks the client to evaluate after its current batch.
func (s *Source) RequestEval() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hello == nil {
		return
	}
	s.evalReq = true
	s.bump()
}

// Reset starts the run over when the client declared it can re-initialise
// (can_reset); the client's data and model stay its own, so only the arms'
// settings of cfg are taken.
func (s *Source) Reset(cfg trainer.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hello == nil {
		return s.noJob()
	}
	if !s.hello.CanReset {
		return errors.New("this external training process did not declare it can start over (can_reset in its hello): stop it and start it again yourself")
	}
	next := cloneConfig(s.cfg)
	if len(cfg.Arms) == len(next.Arms) {
		for i, a := range cfg.Arms {
			if err := s.checkArm(i, a.Select, next.K); err != nil {
				return err
			}
			next.Arms[i].Select = a.Select
			if a.LR > 0 {
				next.Arms[i].LR = a.LR
			}
		}
	}
	old := s.cfg
	s.cfg = next
	changed := []string{}
	if !slicesEqualArms(old, next) {
		changed = append(changed, "arms")
	}
	s.newRun(changed)
	return nil
}

func slicesEqualArms(a, b trainer.Config) bool {
	if len(a.Arms) != len(b.Arms) {
		return false
	}
	for i := range a.Arms {
		if a.Arms[i].Select != b.Arms[i].Select || a.Arms[i].LR != b.Arms[i].LR {
			return false
		}
	}
	return true
}

// checkArm checks selection parameters against what the client offers.
func (s *Source) checkArm(i int, p ohem.Params, k int) error {
	if !slices.Contains(s.hello.Strategies, p.Strategy) {
		return fmt.Errorf("arms[%d].strategy %q is not offered by this training process: it offers %s", i, clip(p.Strategy), strings.Join(s.hello.Strategies, ", "))
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("arms[%d]: %s", i, strings.TrimPrefix(err.Error(), "ohem: "))
	}
	if err := p.CheckK(k); err != nil {
		return fmt.Errorf("arms[%d]: %s", i, strings.TrimPrefix(err.Error(), "ohem: "))
	}
	return nil
}

// Apply validates a live change and sends it to the client with its next
// reply. K, exec and focal loss belong to the training script and are
// refused.
func (s *Source) Apply(ch trainer.Change) (*trainer.ConfigEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hello == nil {
		return nil, s.noJob()
	}
	if ch.Arm < 0 || ch.Arm >= len(s.cfg.Arms) {
		return nil, fmt.Errorf("arm = %d out of range: want 0 <= arm <= %d", ch.Arm, len(s.cfg.Arms)-1)
	}
	switch {
	case ch.K != nil && *ch.K != s.cfg.K:
		return nil, errors.New("k is the external training script's batch size: change it there")
	case ch.Exec != nil:
		return nil, errors.New("exec is up to the external training script")
	case ch.FocalGamma != nil || ch.FocalAlpha != nil:
		return nil, errors.New("focal loss is up to the external training script")
	}
	next := cloneConfig(s.cfg)
	a := &next.Arms[ch.Arm]
	p := a.Select
	if ch.Ratio != nil && ch.M == nil {
		r := *ch.Ratio
		if !finite(r) || r <= 0 || r > 1 {
			return nil, fmt.Errorf("ratio = %v out of range: want 0 < ratio <= 1", r)
		}
		p.M = max(1, int(r*float64(next.K)))
	}
	if ch.M != nil {
		p.M = *ch.M
	}
	if ch.Strategy != nil {
		if a.Name == p.Strategy {
			a.Name = *ch.Strategy
		}
		p.Strategy = *ch.Strategy
	}
	set := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	seti := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Thresh, ch.Thresh)
	seti(&p.MinKept, ch.MinKept)
	set(&p.NegPos, ch.NegPos)
	seti(&p.MinNeg, ch.MinNeg)
	set(&p.Beta, ch.Beta)
	if err := s.checkArm(ch.Arm, p, next.K); err != nil {
		return nil, err
	}
	a.Select = p
	if ch.LR != nil {
		if !finite(*ch.LR) || *ch.LR <= 0 || *ch.LR > experiment.MaxLR {
			return nil, fmt.Errorf("lr = %v out of range: want a finite 0 < lr <= %v", *ch.LR, experiment.MaxLR)
		}
		a.LR = *ch.LR
	}
	if ch.SpeedCap != nil {
		if v := *ch.SpeedCap; !finite(v) || v < 0 || v > experiment.MaxSpeedCap {
			return nil, fmt.Errorf("speed_cap = %v out of range: want 0 <= speed_cap <= %v steps/s (0 = no cap)", v, experiment.MaxSpeedCap)
		}
		next.SpeedCap = *ch.SpeedCap
	}
	if ch.EvalEvery != nil {
		if *ch.EvalEvery < 1 || *ch.EvalEvery > experiment.MaxEvalEvery {
			return nil, fmt.Errorf("eval_every = %d out of range: want 1 <= eval_every <= %d", *ch.EvalEvery, experiment.MaxEvalEvery)
		}
		next.EvalEvery = *ch.EvalEvery
	}
	changed := changedFields(s.cfg, next)
	if len(changed) == 0 {
		return &trainer.ConfigEvent{Version: s.version, Step: s.step + 1, Config: cloneConfig(s.cfg), Changed: changed}, nil
	}
	s.cfg = next
	s.version++
	ev := &trainer.ConfigEvent{Version: s.version, Step: s.step + 1, Config: cloneConfig(next), Changed: changed}
	if s.versioned && !s.paused {
		// A running client that reports its control version may train
		// further before it takes this change: the event waits for the
		// first batch that used it, which says at which step it applied.
		s.held = append(s.held, ev)
	} else {
		s.publish(ev)
	}
	s.bump()
	out := *ev
	out.Config = cloneConfig(next)
	out.Changed = slices.Clone(changed)
	return &out, nil
}

// changedFields names the live fields that differ, as the built-in
// trainer does.
func changedFields(a, b trainer.Config) []string {
	out := []string{}
	if a.SpeedCap != b.SpeedCap {
		out = append(out, "speed_cap")
	}
	if a.EvalEvery != b.EvalEvery {
		out = append(out, "eval_every")
	}
	for i := range b.Arms {
		x, y := a.Arms[i], b.Arms[i]
		add := func(name string, differ bool) {
			if differ {
				out = append(out, fmt.Sprintf("arms[%d].%s", i, name))
			}
		}
		add("name", x.Name != y.Name)
		add("strategy", x.Select.Strategy != y.Select.Strategy)
		add("m", x.Select.M != y.Select.M)
		add("thresh", x.Select.Thresh != y.Select.Thresh)
		add("min_kept", x.Select.MinKept != y.Select.MinKept)
		add("neg_pos", x.Select.NegPos != y.Select.NegPos)
		add("min_neg", x.Select.MinNeg != y.Select.MinNeg)
		add("beta", x.Select.Beta != y.Select.Beta)
		add("lr", x.LR != y.LR && !(math.IsNaN(x.LR) && math.IsNaN(y.LR)))
	}
	return out
}
