package web

import "github.com/ohemlab/ohemlab/trainer"

// ExampleStatsJSON embeds trainer.ExampleStats in response bodies.
type ExampleStatsJSON trainer.ExampleStats
