package s3fake

import "fmt"

// BackendConfig is the -backend-config key/values of the "s3" backend pointed at this fake, storing
// state in bucket under key. flavor picks the attribute names: "terraform" for Terraform 1.5 (its
// backend rejects the newer names), "tofu" for OpenTofu 1.10, whose backend renamed endpoint to
// endpoints.s3 and force_path_style to use_path_style and skips the account-id lookup separately
// (Terraform 1.6 made the same renames). Both sets were tried against the real binaries. No
// DynamoDB table is named, so state is not locked: the fake has no DynamoDB. Credentials are not in
// it: the process gets them from Env.
func (s *Server) BackendConfig(flavor, bucket, key string) map[string]string {
	s.t.Helper()
	cfg := map[string]string{
		"bucket":                      bucket,
		"key":                         key,
		"region":                      Region,
		"skip_credentials_validation": "true",
		"skip_metadata_api_check":     "true",
		"skip_region_validation":      "true",
	}
	switch flavor {
	case "terraform":
		cfg["endpoint"] = s.URL()
		cfg["force_path_style"] = "true"
	case "tofu":
		// The value is an HCL object; Terraform and OpenTofu parse non-string -backend-config values as HCL.
		cfg["endpoints"] = fmt.Sprintf("{s3=%q}", s.URL())
		cfg["use_path_style"] = "true"
		cfg["skip_requesting_account_id"] = "true"
	default:
		s.t.Fatalf(`s3fake: BackendConfig flavor %q: want "terraform" or "tofu"`, flavor)
	}
	return cfg
}
