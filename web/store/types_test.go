package store

import (
	"encoding/json"
	"testing"
)

// TestArmSummaryOldName checks that a summary saved with the old wire
// name examples_backprop still reads, and that the new name wins.
func TestArmSummaryOldName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{`{"arm":0,"examples_backprop":384}`, 384},
		{`{"arm":0,"examples_backpropagated":512}`, 512},
		{`{"arm":0,"examples_backpropagated":512,"examples_backprop":384}`, 512},
	} {
		var a ArmSummary
		if err := json.Unmarshal([]byte(tc.in), &a); err != nil || a.ExamplesBackprop != tc.want {
			t.Errorf("%s: %+v, %v; want examples backpropagated %d", tc.in, a, err, tc.want)
		}
	}
	b, _ := json.Marshal(ArmSummary{ExamplesBackprop: 7})
	var m map[string]any
	if json.Unmarshal(b, &m); m["examples_backpropagated"] != 7.0 || m["examples_backprop"] != nil {
		t.Errorf("written as %s", b)
	}
}
