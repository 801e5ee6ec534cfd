package static

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sums parses SHA256SUMS (sha256sum format: hex digest, two spaces or a
// space and a star, relative path).
func sums(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
		if !ok || len(sum) != 64 || name == "" {
			t.Fatalf("SHA256SUMS line %d is not `DIGEST  PATH`: %q", n, line)
		}
		if _, dup := out[name]; dup {
			t.Fatalf("SHA256SUMS line %d: %s listed twice", n, name)
		}
		out[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVendoredChecksums checks every file listed in SHA256SUMS, on disk and
// in the embedded FS, against its digest.
func TestVendoredChecksums(t *testing.T) {
	want := sums(t)
	if len(want) == 0 {
		t.Fatal("SHA256SUMS lists no files")
	}
	for name, sum := range want {
		disk, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		emb, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Errorf("%s is listed in SHA256SUMS but not embedded: %v", name, err)
			continue
		}
		for what, b := range map[string][]byte{"on disk": disk, "embedded": emb} {
			h := sha256.Sum256(b)
			if got := hex.EncodeToString(h[:]); got != sum {
				t.Errorf("%s %s: sha256 %s, SHA256SUMS says %s", name, what, got, sum)
			}
		}
	}
}

// TestEveryVendoredFileListed checks that every file under assets/vendor is
// embedded and listed in SHA256SUMS, so nothing is vendored unchecked.
func TestEveryVendoredFileListed(t *testing.T) {
	want := sums(t)
	onDisk := 0
	err := fs.WalkDir(os.DirFS("."), "assets/vendor", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		onDisk++
		if _, ok := want[p]; !ok {
			t.Errorf("%s is vendored but missing from SHA256SUMS", p)
		}
		if _, err := fs.Stat(FS, p); err != nil {
			t.Errorf("%s is vendored but not embedded: %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, need := range []string{"uPlot.iife.min.js", "uPlot.min.css", "htmx.min.js"} {
		if _, ok := want[path.Join("assets/vendor", need)]; !ok {
			t.Errorf("assets/vendor/%s is not listed", need)
		}
	}
	if onDisk != len(want) {
		t.Errorf("%d vendored files on disk, %d listed", onDisk, len(want))
	}
}

// TestOwnAssetsEmbedded checks that the page's own scripts and styles are
// embedded and not empty.
func TestOwnAssetsEmbedded(t *testing.T) {
	for _, name := range []string{"app.js", "state.js", "fields.js", "controls.js", "util.js", "charts.js", "views.js", "app.css"} {
		b, err := fs.ReadFile(FS, path.Join("assets", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(b) < 200 {
			t.Errorf("%s is only %d bytes", name, len(b))
		}
	}
}

// TestModulesAreTheImports checks that Modules lists exactly the modules the
// page's scripts import, so that the page preloads every one and nothing else.
func TestModulesAreTheImports(t *testing.T) {
	re := regexp.MustCompile(`(?m)^\s*import\b[^;]*?from\s+"\./([^"]+)"`)
	imported := map[string]bool{}
	for _, name := range append(Modules(), Entry) {
		b, err := fs.ReadFile(FS, "assets/"+name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			imported[string(m[1])] = true
		}
	}
	var want []string
	for n := range imported {
		want = append(want, n)
	}
	sort.Strings(want)
	if got := Modules(); !slices.Equal(got, want) {
		t.Errorf("Modules() = %v, but the scripts import %v", got, want)
	}
}
