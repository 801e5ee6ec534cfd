package data

import "fmt"

// Load validates cfg, fills in its defaults and builds the dataset it
// names. The same cfg and seed always give the same Set: the points, the
// train/test split, the order of the training examples (their ids) and the
// flipped labels. Errors name the bad field and its allowed range, or the
// file and the problem.
//
// MNIST is decoded once per process and folder (about a second), and the
// latest mnist-detect subsample is kept, so resets are cheap; the returned
// Set may share feature slices with other Sets and must not be modified.
// TrainY, CleanY and Flipped are never shared with a Set of another seed
// or label noise.
func Load(cfg Config, seed int64) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	var (
		s   *Set
		err error
	)
	switch kindOf(cfg.Name) {
	case kind2D:
		s, err = make2D(cfg, seed)
	case kindMNIST:
		s, err = loadMNISTSet(cfg)
	case kindDetect:
		s, err = loadDetect(cfg, seed)
	case kindCSV:
		s, err = loadCSVFile(cfg, seed)
	default:
		err = fmt.Errorf("data.name: unknown dataset %q", cfg.Name)
	}
	if err != nil {
		return nil, err
	}
	applyLabelNoise(s, cfg.LabelNoise, seed)
	return s, nil
}

// Is2D reports whether the set has two features, so that it can be drawn
// in the plane (Bounds is set).
func (s *Set) Is2D() bool { return s.Dim == 2 }
