package trainer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// goodEvery is how often (in steps) an arm's parameters are checked and
// kept as the last good copy for divergence recovery.
const goodEvery = 10

// plan is what the loop does next, decided under the trainer's mutex.
type plan struct {
	sess   *session
	events []Event
	status *StatusEvent // non-nil when the state changed
	step   bool         // train one batch
	single bool         // it is a requested single step
	eval   bool
}

// Run trains until ctx is done or MaxSteps is reached. It returns nil on a
// normal stop. Divergence pauses the loop; it never panics out.
func (t *Trainer) Run(ctx context.Context) error {
	t.mu.Lock()
	if t.started {
		t.mu.Unlock()
		return errors.New("trainer: Run called twice")
	}
	t.started = true
	t.mu.Unlock()

	var (
		last     string // last published status and reason
		sess     *session
		next     time.Time // earliest start of the next capped step
		lastEval int64     = -1
	)
	defer func() {
		t.mu.Lock()
		t.stopped = true
		ev := &StatusEvent{State: StateStopped, Step: t.step}
		t.mu.Unlock()
		t.publish(ev)
	}()
	if err := t.loadInRun(); err != nil {
		return err
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		p, err := t.sync(sess, &last)
		if err != nil {
			return err
		}
		if p.sess != sess {
			if sess != nil {
				sess.close()
			}
			sess, lastEval, next = p.sess, -1, time.Time{}
		}
		for _, ev := range p.events {
			t.publish(ev)
		}
		if p.status != nil {
			t.publish(p.status)
		}
		if p.eval {
			t.evaluate(sess)
			lastEval = sess.step
		}
		if t.opt.MaxSteps > 0 && sess.step >= t.opt.MaxSteps {
			if lastEval != sess.step {
				t.evaluate(sess)
			}
			return nil
		}
		if !p.step {
			select {
			case <-ctx.Done():
			case <-t.wake:
			}
			continue
		}
		if cap := sess.cfg.SpeedCap; cap > 0 && !p.single {
			if wait := time.Until(next); wait > 0 {
				timer := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					timer.Stop()
					continue
				case <-t.wake:
					timer.Stop()
					continue // re-read the controls, keep the schedule
				case <-timer.C:
				}
			}
			now := time.Now()
			next = next.Add(time.Duration(float64(time.Second) / cap))
			if next.Before(now) {
				next = now.Add(time.Duration(float64(time.Second) / cap))
			}
		}
		if t.trainStep(sess) && sess.cfg.EvalEvery > 0 && sess.step%int64(sess.cfg.EvalEvery) == 0 {
			t.evaluate(sess)
			lastEval = sess.step
		}
	}
}

// sync takes the pending controls between two batches: it installs a new
// session after Reset, brings the session to the newest config version,
// collects queued events and decides whether to step.
func (t *Trainer) sync(sess *session, last *string) (plan, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := plan{sess: t.cur}
	t.loopSess = t.cur
	if p.sess.version != t.version {
		if err := p.sess.apply(t.cfg.Clone(), t.version); err != nil {
			// Apply validated the change, so this is a bug: stop loudly.
			return p, fmt.Errorf("trainer: applying config version %d: %w", t.version, err)
		}
	}
	p.events, t.events = t.events, nil
	p.eval, t.evalReq = t.evalReq, false
	switch {
	case !t.paused && !t.diverged:
		p.step = true
	case t.stepReq > 0:
		t.stepReq--
		p.step, p.single = true, true
	}
	if st := t.status() + "\x00" + t.reason; st != *last {
		*last = st
		p.status = &StatusEvent{State: t.status(), Reason: t.reason, Step: t.step, Arm: t.reasonArm}
	}
	return p, nil
}

// trainStep trains every arm on the next batch of the shared stream,
// publishes their events and reports whether the run may go on (false after
// a divergence or step error, which pauses the run).
func (t *Trainer) trainStep(sess *session) bool {
	b := sess.nextBatch()
	step := sess.step + 1
	var fail error
	failArm := 0
	events := make([]*BatchEvent, 0, len(sess.arms))
	for _, a := range sess.arms {
		ev, err := a.step(b, step, sess.version)
		if err == nil && step%goodEvery == 0 && !a.saveGood(step) {
			_, what := a.model.Finite()
			a.restoreGood()
			err = &divergence{arm: a.idx, step: step, reason: fmt.Sprintf("%s became NaN or Inf (lr %g); parameters restored to step %d", what, a.cfg.LR, a.goodStep)}
		}
		if err != nil {
			if fail == nil {
				fail, failArm = err, a.idx
			}
			continue
		}
		events = append(events, ev)
	}
	sess.step = step
	t.record(sess, step, fail, failArm)
	for _, ev := range events {
		t.publish(ev)
	}
	return fail == nil
}

// record updates the trainer's snapshot after a step of sess (unless a
// reset has replaced it) and, on failure, pauses the run with the reason.
func (t *Trainer) record(sess *session, step int64, fail error, failArm int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == sess {
		t.step = step
		for i, a := range sess.arms {
			st := &t.arms[i]
			st.Step, st.ExamplesSeen, st.ExamplesBackprop, st.WallSeconds = a.steps, a.seen, a.backprop, a.wall
			st.ExamplesForward, st.ComputeFLOPs = a.forwarded, a.flops
		}
		if fail != nil {
			t.diverged = true
			t.reasonArm = failArm
			var d *divergence
			if errors.As(fail, &d) {
				t.reason = fmt.Sprintf("%v: lower the learning rate and resume, or reset", d)
			} else {
				t.reason = fmt.Sprintf("arm %d failed at step %d: %v", failArm, step, fail)
			}
		}
	}
}

// evaluate evaluates every arm of sess and publishes the results.
func (t *Trainer) evaluate(sess *session) {
	for _, a := range sess.arms {
		if ok, what := a.model.Finite(); !ok {
			// Never publish NaN metrics: recover as a divergence.
			a.restoreGood()
			d := &divergence{arm: a.idx, step: sess.step, reason: fmt.Sprintf("%s became NaN or Inf (lr %g); parameters restored to step %d", what, a.cfg.LR, a.goodStep)}
			t.record(sess, sess.step, d, a.idx)
			continue
		}
		ev, err := a.safeEvaluate(sess.set, sess.step, sess.version)
		if err != nil {
			t.mu.Lock()
			if t.cur == sess {
				t.diverged = true
				t.reasonArm = a.idx
				t.reason = fmt.Sprintf("arm %d: evaluation failed at step %d: %v", a.idx, sess.step, err)
			}
			t.mu.Unlock()
			continue
		}
		t.mu.Lock()
		if t.cur == sess {
			t.arms[a.idx].LastEval = ev
		}
		t.mu.Unlock()
		t.publish(ev)
	}
}

// safeEvaluate is evaluate with a panic inside Gorgonia turned into an
// error.
func (a *arm) safeEvaluate(set *data.Set, step, version int64) (ev *EvalEvent, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, err = nil, fmt.Errorf("internal error (recovered): %v", r)
		}
	}()
	return a.evaluate(set, step, version)
}

// publish hands an event to the sink, if any.
func (t *Trainer) publish(ev Event) {
	if t.opt.Sink != nil {
		t.opt.Sink.Publish(ev)
	}
}
