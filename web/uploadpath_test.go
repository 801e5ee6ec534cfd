package web

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

func TestUploadNamesArePublic(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(o *Options) { o.UploadDir = dir })
	hash := strings.Repeat("ab", 32) + ".csv"
	full := "csv:" + filepath.Join(dir, hash)
	tests := []struct{ in, public string }{
		{full, "csv:" + hash},
		{"mnist", "mnist"},
		{"csv:" + filepath.Join(dir, "notahash.csv"), "csv:" + filepath.Join(dir, "notahash.csv")},
		{"csv:" + filepath.Join(dir, "sub", hash), "csv:" + filepath.Join(dir, "sub", hash)},
	}
	for _, tt := range tests {
		if got := e.s.publicName(tt.in); got != tt.public {
			t.Errorf("publicName(%q) = %q, want %q", tt.in, got, tt.public)
		}
	}
	if got := e.s.privateName("csv:" + hash); got != full {
		t.Errorf("privateName(csv:%s) = %q, want %q", hash, got, full)
	}
	for _, name := range []string{"csv:../" + hash, "csv:x.csv", "mnist", "csv:" + strings.ToUpper(hash)} {
		if got := e.s.privateName(name); got != name {
			t.Errorf("privateName(%q) = %q: only bare upload names are resolved", name, got)
		}
	}

	// What clients see of a run on an uploaded file carries no server path,
	// and the public name may be sent back in a reset.
	cfg := trainer.DefaultConfig("moons")
	cfg.Data.Name = full
	st := e.s.publicState(trainer.State{Config: cfg, Dataset: trainer.DatasetInfo{Name: full}})
	b, _ := json.Marshal(st)
	if strings.Contains(string(b), dir) {
		t.Errorf("public state names the upload folder: %s", b)
	}
	ev := e.s.publicConfigEvent(&trainer.ConfigEvent{Config: cfg, Reset: true})
	if ev.Config.Data.Name != "csv:"+hash || cfg.Data.Name != full {
		t.Errorf("config event name = %q (original now %q)", ev.Config.Data.Name, cfg.Data.Name)
	}
	back := st.Config
	// A file that is not (or no longer) there is named without its path.
	_, err := e.s.applyControl(Control{Type: MsgReset, Config: &back}, true, "")
	if err == nil || strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "csv:"+hash) || !strings.Contains(err.Error(), "upload the file again") {
		t.Errorf("reset naming a missing upload: %v", err)
	}
	if err := os.WriteFile(full[len("csv:"):], []byte("x,label\n1,a\n2,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.applyControl(Control{Type: MsgReset, Config: &back}, true, ""); err != nil {
		t.Fatalf("reset with the public upload name: %v", err)
	}
	if got := e.fake.resets[len(e.fake.resets)-1].Data.Name; got != full {
		t.Errorf("trainer reset to %q, want the uploaded file %q", got, full)
	}
}
