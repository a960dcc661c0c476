package workdir

import (
	"errors"
	"fmt"
)

// Callers tell these apart with errors.Is: an unsafe archive is an attack or a repository that must be
// fixed, a corrupt one is worth downloading again, and a layout error means the input is not a GitHub
// repository archive at all.
var (
	// ErrUnsafe: an entry would be written outside the work directory, is a device or other special
	// file, or is a link leading outside the repository.
	ErrUnsafe = errors.New("unsafe archive refused")
	// ErrCorrupt: the archive is truncated or does not decompress.
	ErrCorrupt = errors.New("the archive is truncated or corrupt")
	// ErrLayout: the archive is empty or does not hold exactly one top-level directory.
	ErrLayout = errors.New("not a repository archive")
	// ErrOutside: a path given to Join leaves the work directory.
	ErrOutside = errors.New("the path leaves the work directory")
)

// LimitError reports that an archive is larger than Limits allow.
type LimitError struct {
	// Field is the Limits field to raise: "MaxBytes" or "MaxFiles".
	Field string
	// Max is the value that was exceeded.
	Max int64
	// What names what was counted, such as "unpacked bytes".
	What string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the archive holds more than %d %s: raise Limits.%s if the repository really is this large",
		e.Max, e.What, e.Field)
}

func unsafeEntry(name, format string, args ...any) error {
	return fmt.Errorf("%w: entry %q %s", ErrUnsafe, name, fmt.Sprintf(format, args...))
}

func corrupt(after string, err error) error {
	if after == "" {
		return fmt.Errorf("%w (at its start): %w; download it again", ErrCorrupt, err)
	}
	return fmt.Errorf("%w (after entry %q): %w; download it again", ErrCorrupt, after, err)
}
