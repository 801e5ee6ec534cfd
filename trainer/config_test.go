package trainer

import (
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer/data"
)

func TestNewRejects(t *testing.T) {
	big := DefaultConfig(data.Circle)
	big.Data.Size = 100
	big.K = 90 // 80 training points
	big.Arms[0].Select.M = 10
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"k above the training set", big, "between 1 and 80 (the training set size)"},
		{"bad dataset", DefaultConfig("nope"), "Dataset must be one of"},
	} {
		if _, err := New(c.cfg, Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
}
