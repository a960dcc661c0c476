package config

import "testing"

func TestRoleAllowed(t *testing.T) {
	t.Parallel()
	s, err := LoadServer([]string{"--role-allowlist", "classla/*=arn:aws:iam::111111111111:role/gantry-*," +
		"Partner/infra=arn:aws:iam::222222222222:role/partner-deploy," +
		"classla/ci=arn:aws:iam::111111111111:role/ci/gantry-*," +
		"org/*=arn:aws:iam::*:role/gantry-*"}, validEnv(t).get)
	if err != nil {
		t.Fatal(err)
	}
	if !s.RoleAllowlistSet() {
		t.Error("RoleAllowlistSet() = false with four entries")
	}
	const gantry = "arn:aws:iam::111111111111:role/gantry-"
	tests := []struct {
		name, repo, role string
		want             bool
	}{
		{"a repository may assume a role its entry's glob matches", "classla/lms", gantry + "plan-staging", true},
		{"repository names match in any case, as on GitHub", "Classla/LMS", gantry + "apply", true},
		{"the entry's glob need not be lower case either", "partner/infra", "arn:aws:iam::222222222222:role/partner-deploy", true},
		{"a role in an account the glob does not name is refused", "classla/lms", "arn:aws:iam::222222222222:role/gantry-x", false},
		{"another role in the same account is refused", "classla/lms", "arn:aws:iam::111111111111:role/admin", false},
		{"a repository cannot take a role another entry allows another repository", "partner/infra", gantry + "plan", false},
		{"nor can the other way round", "classla/lms", "arn:aws:iam::222222222222:role/partner-deploy", false},
		{"a repository no entry names is refused every role", "classla-fork/lms", gantry + "plan", false},
		{"a * does not reach into an IAM path", "classla/lms", gantry + "x/admin", false},
		{"nor climb out of one", "classla/lms", gantry + "x/../../222222222222:role/admin", false},
		{"a glob that spells the path allows roles under it", "classla/ci", "arn:aws:iam::111111111111:role/ci/gantry-deploy", true},
		{"role ARNs match case-sensitively", "classla/lms", "arn:aws:iam::111111111111:role/GANTRY-admin", false},
		{"an upper-case ARN prefix is refused", "classla/lms", "ARN:AWS:IAM::111111111111:role/gantry-plan", false},
		{"an account wildcard allows the role in any account", "org/web", "arn:aws:iam::333333333333:role/gantry-plan", true},
		{"an empty role is refused", "classla/lms", "", false},
		{"a role with trailing text is refused", "partner/infra", "arn:aws:iam::222222222222:role/partner-deploy-admin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := s.RoleAllowed(tt.repo, tt.role); got != tt.want {
				t.Errorf("RoleAllowed(%q, %q) = %v, want %v", tt.repo, tt.role, got, tt.want)
			}
		})
	}

	t.Run("without an allowlist any role is allowed, and the caller can tell", func(t *testing.T) {
		t.Parallel()
		var open Server
		if !open.RoleAllowed("anyone/anything", "arn:aws:iam::999999999999:role/admin") {
			t.Error("RoleAllowed = false")
		}
		if open.RoleAllowlistSet() {
			t.Error("RoleAllowlistSet() = true")
		}
	})
	t.Run("an empty role is refused even by a glob set by hand that matches anything", func(t *testing.T) {
		t.Parallel()
		loose := Server{RoleAllowlist: []RoleRule{{Repo: "classla/*", Role: "*"}}}
		if loose.RoleAllowed("classla/lms", "") {
			t.Error("RoleAllowed = true")
		}
	})
	t.Run("a malformed glob set by hand allows nothing", func(t *testing.T) {
		t.Parallel()
		bad := Server{RoleAllowlist: []RoleRule{{Repo: "classla/*", Role: "arn:aws:iam::111111111111:role/[gantry"}}}
		if bad.RoleAllowed("classla/lms", "arn:aws:iam::111111111111:role/[gantry") {
			t.Error("RoleAllowed = true")
		}
	})
}
