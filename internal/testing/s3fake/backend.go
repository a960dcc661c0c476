package s3fake

import "fmt"

// BackendConfig is the -backend-config key/values of Terraform's "s3" backend pointed at this fake,
// storing state in bucket under key. flavor is "terraform" (Terraform 1.5, the attribute names of
// the aws-sdk-go v1 backend) or "tofu" (OpenTofu 1.6 and later, whose backend renamed them:
// endpoint → endpoints.s3, force_path_style → use_path_style, and account-id lookup skipped
// separately). Both were checked against the real binaries. No DynamoDB table is configured, so
// state is not locked: the fake has no DynamoDB. Credentials are not in it: pass Env to the process.
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
