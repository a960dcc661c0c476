// Package version reports which gantry this is. Version and Commit are set at build time with
// -ldflags "-X github.com/classla/gantry/internal/version.Version=…"; without them the module
// and VCS information Go records in the binary is used.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker.
var (
	Version = ""
	Commit  = ""
)

// Info is what `gantry version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	Modified  bool   `json:"modified,omitempty"`
}

// Get returns the build's version information.
func Get() Info {
	in := Info{Version: Version, Commit: Commit, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}

// String is the one-line form: "gantry 1.2.3 (commit abc1234, go1.26.8)".
func (in Info) String() string {
	c := in.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if in.Modified {
		c += "+modified"
	}
	return fmt.Sprintf("gantry %s (commit %s, %s)", in.Version, c, in.GoVersion)
}
