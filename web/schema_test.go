package web

import (
	"encoding/json"
	"testing"

	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// TestSchemaServesTheTable checks that GET /api/schema serves every row of
// the field table with what the page needs.
func TestSchemaServesTheTable(t *testing.T) {
	e := newEnv(t, nil)
	code, _, body := e.get(t, "/api/schema")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	var got struct {
		Fields []struct {
			Key, Label, Kind string
			Min, Max         float64
			Live, Arm        bool
		}
		ArmPrefix string `json:"arm_prefix"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := experiment.Fields()
	if len(got.Fields) != len(want) || got.ArmPrefix != experiment.ArmPrefix {
		t.Fatalf("%d fields, prefix %q; want %d, %q", len(got.Fields), got.ArmPrefix, len(want), experiment.ArmPrefix)
	}
	for i, f := range got.Fields {
		w := want[i]
		if f.Key != w.Key || f.Label != w.Label || f.Kind != string(w.Kind) || f.Min != w.Min || f.Max != w.Max || f.Live != w.Live || f.Arm != w.Arm {
			t.Errorf("field %d = %+v, want %+v", i, f, w)
		}
	}
}
