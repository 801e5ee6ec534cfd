// Package store keeps OHEM Lab's runs in an embedded SQLite database
// (modernc.org/sqlite, pure Go, WAL mode) in a data directory.
//
// A Recorder takes the trainer's events without ever blocking the training
// loop and writes them in batched transactions: every reset starts a run,
// every live change is kept with its step, and the per-step summary rows and
// evaluations become the run's series. The read side lists, reopens,
// renames, deletes and exports runs (CSV of the metrics, JSON of
// everything).
//
// Run ids are positive integers and names are plain text: ParseID and
// ValidateName are the gates for anything that arrives from outside.
package store
