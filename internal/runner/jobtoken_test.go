package runner_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/classla/gantry/internal/runner"
)

func TestAJobTokenMatchesOnlyItsHash(t *testing.T) {
	t.Parallel()
	token, hash := runner.NewJobToken()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v", token, len(raw), err)
	}
	sum := sha256.Sum256([]byte(token))
	if hash != hex.EncodeToString(sum[:]) {
		t.Errorf("hash %q is not the SHA-256 of the token", hash)
	}
	if !runner.CheckJobToken(token, hash) {
		t.Error("the token does not match its own hash")
	}
	other, otherHash := runner.NewJobToken()
	for name, c := range map[string]struct{ token, hash string }{
		"another job's token":       {other, hash},
		"the token against another": {token, otherHash},
		"the hash sent as a token":  {hash, hash},
		"an empty token":            {"", hash},
		"an empty hash":             {token, ""},
		"the empty token's hash":    {"", runner.HashJobToken("")},
	} {
		if runner.CheckJobToken(c.token, c.hash) {
			t.Errorf("%s matches", name)
		}
	}
	if other == token {
		t.Error("two job tokens are equal")
	}
}
