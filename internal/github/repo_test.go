package github_test

import (
	"testing"

	"github.com/classla/gantry/internal/github"
)

func TestParseRepo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    github.Repo
		wantErr bool
	}{
		{name: "owner/name parses and prints back", in: "classla/lms", want: github.Repo{Owner: "classla", Name: "lms"}},
		{name: "a bare name is refused", in: "lms", wantErr: true},
		{name: "a missing owner is refused", in: "/lms", wantErr: true},
		{name: "a missing name is refused", in: "classla/", wantErr: true},
		{name: "a path with more slashes is refused", in: "classla/lms/extra", wantErr: true},
		{name: "spaces are refused", in: "classla/my lms", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := github.ParseRepo(tt.in)
			if tt.wantErr {
				mustContain(t, err, tt.in, "owner/name")
				return
			}
			if err != nil || got != tt.want || got.String() != tt.in {
				t.Errorf("ParseRepo(%q) = %+v (%q), %v; want %+v", tt.in, got, got.String(), err, tt.want)
			}
		})
	}
}
