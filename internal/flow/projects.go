package flow

import (
	"slices"

	"github.com/classla/gantry/internal/config"
)

// ConfigFile is where a repository's gantry configuration lives, read from its default branch.
const ConfigFile = config.DefaultFileName

// affectedProjects returns the projects of cfg that a change to files (repository-relative
// paths) affects, in configuration order.
func affectedProjects(cfg *config.Repo, files []string) []string {
	var names []string
	for i := range cfg.Projects {
		p := &cfg.Projects[i]
		if slices.ContainsFunc(files, p.Affected) {
			names = append(names, p.Name)
		}
	}
	return names
}
