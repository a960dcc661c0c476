package runner

import "fmt"

// VerificationError is a token that is not a valid, current token of the issuer for this server: a bad
// signature, another algorithm than RS256, another issuer or audience, expired or not yet valid. The runner API
// answers 401.
type VerificationError struct {
	Claim  string // "alg", "signature", "token", "iss", "aud", "exp" or "nbf"
	Reason string // what was expected; never the token
	Err    error  // the library's error, for a signature failure
}

func (e *VerificationError) Error() string {
	msg := fmt.Sprintf("runner: token fails verification: %s: %s", e.Claim, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *VerificationError) Unwrap() error { return e.Err }

// MismatchError is a valid token whose claims are not the job's: another repository, branch, workflow or
// environment. The runner API answers 403.
type MismatchError struct {
	Claim string // "repository", "repository_id", "ref", "workflow_ref" or "environment"
	Want  string
	Got   string // the token's value, shortened
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("runner: token is not for this job: %s is %q, want %q", e.Claim, e.Got, e.Want)
}
