package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxSessionName is STS's limit on RoleSessionName.
const maxSessionName = 64

// SessionName is the role session name of one run, "gantry-<repo>-<pr|sha>-<name>", made acceptable
// to STS (2–64 characters of [\w+=,.@-]) so that CloudTrail shows which repository, pull request or
// commit, and project or service acted. Other characters, such as the "/" of "owner/repo", become
// "-". A name over 64 characters keeps its first 55 and ends with "-" and 8 hex digits of a hash of
// the whole, so that long names stay apart; a short commit SHA keeps more of the name.
func SessionName(repo, prOrSHA, name string) string {
	full := sanitize("gantry-" + repo + "-" + prOrSHA + "-" + name)
	if len(full) <= maxSessionName {
		return full
	}
	sum := sha256.Sum256([]byte(repo + "\x00" + prOrSHA + "\x00" + name))
	suffix := "-" + hex.EncodeToString(sum[:4])
	return full[:maxSessionName-len(suffix)] + suffix
}

// sanitize replaces every character outside [\w+=,.@-] with '-' (one per character, not per byte,
// so the result's length is predictable from what a user typed).
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
