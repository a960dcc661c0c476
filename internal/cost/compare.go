package cost

import "fmt"

// Compare prices the state after each of two plans (for example the default branch's and
// a pull request's) and diffs them by resource address: what applying head instead of
// base changes in the monthly cost.
func Compare(base, head []byte, opts Options) (*Estimate, error) {
	b, err := afterState(base, opts)
	if err != nil {
		return nil, fmt.Errorf("base plan: %w", err)
	}
	h, err := afterState(head, opts)
	if err != nil {
		return nil, fmt.Errorf("head plan: %w", err)
	}
	e := newEstimate(h.est.cat)
	e.UsageFile = h.UsageFile
	baseBy := map[string]Resource{}
	for _, r := range b.Resources {
		baseBy[r.Address] = r
	}
	headSeen := map[string]bool{}
	for _, r := range h.Resources {
		headSeen[r.Address] = true
		old, ok := baseBy[r.Address]
		out := Resource{Address: r.Address, Type: r.Type, Notes: r.Notes, after: r.after, Action: "create"}
		if ok {
			out.before = old.after
			out.Action = "no-op"
			if !sameComponents(old.after, r.after) {
				out.Action = "update"
			}
		}
		e.addResource(out)
	}
	for _, r := range b.Resources {
		if !headSeen[r.Address] {
			e.addResource(Resource{Address: r.Address, Type: r.Type, Notes: r.Notes, before: r.after, Action: "delete"})
		}
	}
	e.Free = union(h.Free, b.Free)
	seen := map[string]bool{}
	for _, u := range append(h.UnpricedDetails, b.UnpricedDetails...) {
		if !seen[u.Address] {
			seen[u.Address] = true
			e.addUnpriced(u.Address, u.Type, u.Reason)
		}
	}
	e.finish()
	return e, nil
}

type afterEstimate struct {
	*Estimate
	est *estimator
}

func afterState(planJSON []byte, opts Options) (afterEstimate, error) {
	p, err := decodePlan(planJSON)
	if err != nil {
		return afterEstimate{}, err
	}
	est := newEstimator(p, opts)
	est.afterOnly = true
	e := newEstimate(est.cat)
	if opts.Usage != nil {
		e.UsageFile = opts.Usage.File
	}
	for _, rc := range p.ResourceChanges {
		est.add(e, rc)
	}
	return afterEstimate{Estimate: e, est: est}, nil
}

func union(a, b []string) []string {
	out := append([]string{}, a...)
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
