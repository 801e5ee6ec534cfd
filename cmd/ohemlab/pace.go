package main

import (
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
)

// lecturePace is the speed cap (steps per second) that `serve` gives the
// 2-D and CSV sets when --speed-cap is not given: their steps take well under
// a millisecond, so uncapped a run is over before a class has seen it. The
// dashboard states the cap next to its field, where 0 lifts it. The page
// uses the same figure when the dataset is switched to a 2-D set.
const lecturePace = 20

// withLecturePace caps a 2-D (or CSV) experiment at lecturePace unless the
// command line set a speed cap.
func withLecturePace(cfg trainer.Config, speedCapGiven bool) trainer.Config {
	if speedCapGiven || cfg.SpeedCap > 0 || strings.HasPrefix(cfg.Data.Name, "mnist") {
		return cfg
	}
	cfg.SpeedCap = lecturePace
	return cfg
}
