package config

import "time"

// Duration is a time.Duration written in .gantry.yaml as Go duration text ("10m", "1h30m").
type Duration time.Duration

// String returns the duration as Go duration text.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes the duration as text, the form Parse reads back.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
