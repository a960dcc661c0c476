package ship

import (
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

func TestBranchTag(t *testing.T) {
	t.Parallel()
	for branch, want := range map[string]string{
		"main":                     "main",
		"feature/login":            "feature-login",
		"-weird.branch":            "weird.branch",
		"release/2026.11@hotfix#1": "release-2026.11-hotfix-1",
		"":                         "",
	} {
		if got := branchTag(branch); got != want {
			t.Errorf("branchTag(%q) = %q, want %q", branch, got, want)
		}
	}
}

func TestTheLoadBalancerClientHonoursItsEndpointVariable(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ENDPOINT_URL": "http://all.example", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": "http://elb.example"}
	s := &Shipper{Getenv: func(k string) string { return env[k] }}
	var o elb.Options
	s.endpointELB()(&o)
	if got := awssdk.ToString(o.BaseEndpoint); got != "http://elb.example" {
		t.Errorf("ELBv2 endpoint = %q; want AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2's", got)
	}
}
