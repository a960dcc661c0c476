package runner

import (
	"encoding/json"
	"math"
	"time"
)

// rawClaims is the token's payload as GitHub writes it: ids as strings, times as seconds, aud a string or a list.
type rawClaims struct {
	Iss             string      `json:"iss"`
	Sub             string      `json:"sub"`
	Aud             audience    `json:"aud"`
	Iat             numericDate `json:"iat"`
	Nbf             numericDate `json:"nbf"`
	Exp             numericDate `json:"exp"`
	Repository      string      `json:"repository"`
	RepositoryID    string      `json:"repository_id"`
	RepositoryOwner string      `json:"repository_owner"`
	Ref             string      `json:"ref"`
	SHA             string      `json:"sha"`
	WorkflowRef     string      `json:"workflow_ref"`
	JobWorkflowRef  string      `json:"job_workflow_ref"`
	Environment     string      `json:"environment"`
	EventName       string      `json:"event_name"`
	Actor           string      `json:"actor"`
	RunID           string      `json:"run_id"`
	RunAttempt      string      `json:"run_attempt"`
}

func (r rawClaims) claims() Claims {
	return Claims{
		Issuer: r.Iss, Subject: r.Sub, Audience: r.Aud,
		IssuedAt: r.Iat.Time, NotBefore: r.Nbf.Time, Expiry: r.Exp.Time,
		Repository: r.Repository, RepositoryID: r.RepositoryID, RepositoryOwner: r.RepositoryOwner,
		Ref: r.Ref, SHA: r.SHA, WorkflowRef: r.WorkflowRef, JobWorkflowRef: r.JobWorkflowRef,
		Environment: r.Environment, EventName: r.EventName, Actor: r.Actor, RunID: r.RunID, RunAttempt: r.RunAttempt,
	}
}

type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// numericDate is a JWT time: seconds since the epoch, possibly fractional; absent is the zero time.
type numericDate struct{ time.Time }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	d.Time = time.Unix(int64(sec), int64(frac*1e9))
	return nil
}
