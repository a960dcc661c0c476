package tfcheck

import (
	"regexp"
	"sort"
	"strings"
)

// The rules of this file are about who may present a token: which OIDC provider a trust
// statement names, and which of gantry's own subjects (SPEC §10, "Workload identity") a role
// accepts.

// phaseOf is the phase of gantry's jobs each role (by its resource label) is for, and
// subjectKind what gantry's subjects of that phase name: plans of pull-request code use the
// plan role, merge-time plans and applies the apply role, a service's deploys the deploy role,
// and the Amplify frontend service's deploys (SPEC §6) the frontend role.
var (
	phaseOf     = map[string]string{"plan": "plan", "apply": "apply", "deploy": "deploy", "frontend": "deploy"}
	subjectKind = map[string]string{"plan": "project", "apply": "project", "deploy": "service"}
)

// gantrySubject reads a subject of gantry's tokens, repo:OWNER/REPO:KIND:NAME:phase:PHASE, into
// its kind (project, service, or what stands there) and phase.
func gantrySubject(sub string) (kind, phase string, ok bool) {
	i := strings.LastIndex(sub, ":phase:")
	if !strings.HasPrefix(sub, "repo:") || i < 0 {
		return "", "", false
	}
	phase = sub[i+len(":phase:"):]
	rest := sub[:i] // repo:OWNER/REPO:KIND:NAME
	if j := strings.LastIndex(rest, ":"); j >= 0 {
		rest = rest[:j]
		kind = rest[strings.LastIndex(rest, ":")+1:]
	}
	return kind, phase, true
}

// GantrySubjects are the subjects of gantry's tokens the role's trust accepts.
func (r *Role) GantrySubjects() []string {
	var out []string
	for _, sub := range r.Subjects() {
		if _, _, ok := gantrySubject(sub); ok {
			out = append(out, sub)
		}
	}
	return out
}

// gantryPhases: gantry sets a token's phase from the job's kind, and a role trusts only its
// own phase's subjects. A plan role that trusted ...:phase:apply would be assumed by applies
// (harmless but wrong); an apply role that trusted ...:phase:plan would hand the apply role to
// every pull request's plan.
func (p *problems) gantryPhases(r *Role) {
	if r.Trust == nil {
		return
	}
	for _, st := range r.Trust.Statements {
		if !st.Allows("sts:AssumeRoleWithWebIdentity") {
			continue
		}
		for _, c := range st.Conditions {
			if !strings.HasSuffix(c.Variable, ":sub") {
				continue
			}
			for _, sub := range c.Values {
				kind, phase, ok := gantrySubject(sub)
				if !ok {
					continue
				}
				want, known := phaseOf[r.Label]
				switch {
				case !known:
					p.add(st.Range, "role %q trusts gantry's subject %q, but its label names none of the phases plan, apply and deploy (nor frontend, a deploy role): a role that trusts gantry's tokens is for one phase, and its label must say which", r.Label, sub)
				case phase != want:
					p.add(st.Range, "role %q trusts gantry's subject %q, which is the %s phase's: the %s role may trust only subjects ending in \":phase:%s\", or a token gantry signs for one phase would assume another phase's role", r.Label, sub, phase, r.Label, want)
				case kind != subjectKind[want]:
					p.add(st.Range, "role %q trusts gantry's subject %q: gantry signs :phase:%s subjects for a %s (repo:OWNER/REPO:%s:NAME:phase:%s), never a %s", r.Label, sub, want, subjectKind[want], subjectKind[want], want, kind)
				}
			}
		}
	}
}

// conditionPrefixes: IAM names the claims of a provider's tokens by the provider's URL without
// https:// (HOST[/PATH]:sub). A condition on another prefix is a claim the statement's tokens
// never carry, so the statement pins nothing of theirs (StringEquals then refuses every token,
// and a looser operator would let every token in). Checked where the module tells both.
func (p *problems) conditionPrefixes(s *Scope, d *Document) {
	for _, st := range d.Statements {
		if !st.Allows("sts:AssumeRoleWithWebIdentity") {
			continue
		}
		var urls []string
		for _, principal := range st.Principals {
			if u, ok := s.providerURL(principal); ok {
				urls = append(urls, u)
			}
		}
		for _, c := range st.Conditions {
			prefix, claim, ok := cutLast(c.Variable, ":")
			if !ok || (claim != "aud" && claim != "sub") || placeholder.MatchString(prefix) {
				continue
			}
			for _, u := range urls {
				if !strings.EqualFold(prefix, u) {
					p.add(st.Range, "%s: the condition on %s pins a claim of %s's tokens, but the statement trusts the provider %s, whose claims IAM names %s:aud and %s:sub", d.Address, c.Variable, prefix, u, u, u)
				}
			}
		}
	}
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// providerARN matches the ARN of an IAM OIDC provider; providerRef the placeholder of an
// aws_iam_openid_connect_provider's arn (with or without an index).
var (
	providerARN = regexp.MustCompile(`^arn:[^:]*:iam::[^:]*:oidc-provider/(.+)$`)
	providerRef = regexp.MustCompile(`^\$\{aws_iam_openid_connect_provider\.([A-Za-z0-9_-]+)(\[[^\]]*\])?\.arn\}$`)
)

// providerURL is the URL, without https://, of the OIDC provider a principal names: from its
// ARN, or from the url of the module's provider resource it refers to; ok is false when the
// module does not tell.
func (s *Scope) providerURL(principal string) (string, bool) {
	if m := providerARN.FindStringSubmatch(principal); m != nil {
		return m[1], !placeholder.MatchString(m[1])
	}
	if m := providerRef.FindStringSubmatch(principal); m != nil {
		for _, b := range s.Module.blocks("resource", "aws_iam_openid_connect_provider", m[1]) {
			if a, ok := b.Body.Attributes["url"]; ok {
				u := s.String(a.Expr, nil)
				if strings.HasPrefix(u, "https://") && !placeholder.MatchString(u) {
					return strings.TrimPrefix(u, "https://"), true
				}
			}
		}
	}
	return "", false
}

// providerSuffixes are the oidc-provider/HOST[/PATH] resource names of the providers the module
// creates or its roles trust: gantry's identity, which nothing under the boundary may change.
// A provider the module creates whose URL it does not tell is "oidc-provider/": any provider.
func (s *Scope) providerSuffixes(roles []*Role) []string {
	seen := map[string]bool{}
	for _, b := range s.Module.blocks("resource", "aws_iam_openid_connect_provider") {
		suffix := "oidc-provider/"
		if a, ok := b.Body.Attributes["url"]; ok {
			if u := s.String(a.Expr, nil); strings.HasPrefix(u, "https://") && !placeholder.MatchString(u) {
				suffix += strings.TrimPrefix(u, "https://")
			}
		}
		seen[suffix] = true
	}
	for _, r := range roles {
		if r.Trust == nil {
			continue
		}
		for _, st := range r.Trust.Statements {
			for _, principal := range st.Principals {
				if u, ok := s.providerURL(principal); ok {
					seen["oidc-provider/"+u] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for suffix := range seen {
		out = append(out, suffix)
	}
	sort.Strings(out)
	return out
}
