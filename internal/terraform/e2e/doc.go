// Package e2e runs the Terraform runner against the real Terraform and OpenTofu binaries named by
// GANTRY_TERRAFORM_BIN and GANTRY_TOFU_BIN (`make tools` builds both), on fixtures copied to a
// temporary directory, with state in an in-process S3. It holds tests and benchmarks only.
package e2e
