package external

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

// recorder collects published events.
type recorder struct {
	mu  sync.Mutex
	evs []trainer.Event
}

func (r *recorder) Publish(e trainer.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *recorder) batches() []*trainer.BatchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*trainer.BatchEvent
	for _, e := range r.evs {
		if b, ok := e.(*trainer.BatchEvent); ok {
			out = append(out, b)
		}
	}
	return out
}

func (r *recorder) configs() []*trainer.ConfigEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*trainer.ConfigEvent
	for _, e := range r.evs {
		if c, ok := e.(*trainer.ConfigEvent); ok {
			out = append(out, c)
		}
	}
	return out
}

const helloJSON = `{"name":"test","dataset":"mnist","classes":10,"num_train":1000,"k":4,"image":[2,2],"arms":[{"strategy":"topk","m":2,"lr":0.1}],"can_reset":true}`

// batchJSON is a valid batch record of K=4 for arm 0 at step.
func batchJSON(step int) string {
	px := base64.StdEncoding.EncodeToString([]byte{0, 64, 128, 255, 1, 2, 3, 4})
	return fmt.Sprintf(`{"arm":0,"step":%d,"losses":[0.1,2.5,0.3,1.5],"labels":[1,2,3,4],"preds":[1,0,3,2],"ids":[%d,%d,%d,%d],"true_prob":[0.9,0.1,0.8,0.2],"selected":[1,3],"weights":[0.5,0.5],"m":2,"images":{"shape":[2,2],"data":%q}}`,
		step, 4*step%1000, (4*step+1)%1000, (4*step+2)%1000, (4*step+3)%1000, px)
}

// request builds a request body.
func request(session string, hello bool, batches ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"session":%q`, session)
	if hello {
		b.WriteString(`,"hello":` + helloJSON)
	}
	b.WriteString(`,"batches":[` + strings.Join(batches, ",") + `]}`)
	return []byte(b.String())
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
