package store

import (
	"errors"
	"os"
	"path/filepath"
)

// AppDir is the name of OHEM Lab's folder inside the user's state or
// config directory.
const AppDir = "ohemlab"

// DBFile is the name of the database file inside the data directory.
const DBFile = "ohemlab.db"

// DefaultDir returns the default data directory: $XDG_STATE_HOME/ohemlab
// when XDG_STATE_HOME is set to an absolute path, otherwise
// os.UserConfigDir()/ohemlab. It does not create the directory.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, AppDir), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", errors.New("store: no default data directory (" + err.Error() + "): pass one explicitly")
	}
	return filepath.Join(d, AppDir), nil
}
