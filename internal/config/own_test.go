package config

import (
	"os"
	"path/filepath"
	"testing"
)

// The repository's own .gantry.yaml is the first user's configuration and the example the README
// points to: it must stay valid as the format grows, its frontend an Amplify service.
func TestTheRepositorysOwnConfigurationIsValid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".gantry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(b)
	if err != nil {
		t.Fatalf(".gantry.yaml: %v", err)
	}
	var amplify int
	for _, s := range cfg.Services {
		if s.IsAmplify() {
			amplify++
		}
	}
	if len(cfg.Projects) != 2 || len(cfg.Services) != 2 || amplify != 1 {
		t.Errorf("%d projects, %d services (%d on Amplify), want staging and production, backend and an Amplify frontend",
			len(cfg.Projects), len(cfg.Services), amplify)
	}
}
