package refresh_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"

	"github.com/classla/gantry/internal/cost/refresh"
	"github.com/classla/gantry/internal/testing/awsfake"
)

// clientFor builds a client from the fake's credentials plus env.
func clientFor(t *testing.T, env map[string]string) *pricing.Client {
	t.Helper()
	full := map[string]string{"AWS_ACCESS_KEY_ID": awsfake.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awsfake.SecretAccessKey}
	for k, v := range env {
		full[k] = v
	}
	c, err := refresh.NewClient(context.Background(), func(k string) string { return full[k] })
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// closedURL is the address of a server that no longer listens.
func closedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(nil)
	srv.Close()
	return srv.URL
}

func TestNewClientEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  func(fake string) map[string]string
	}{
		{"AWS_ENDPOINT_URL_PRICING is the endpoint", func(fake string) map[string]string {
			return map[string]string{"AWS_ENDPOINT_URL_PRICING": fake}
		}},
		{"AWS_ENDPOINT_URL_PRICING wins over AWS_ENDPOINT_URL", func(fake string) map[string]string {
			return map[string]string{"AWS_ENDPOINT_URL_PRICING": fake, "AWS_ENDPOINT_URL": closedURL(t)}
		}},
		{"AWS_ENDPOINT_URL serves when the per-service variable is unset", func(fake string) map[string]string {
			return map[string]string{"AWS_ENDPOINT_URL": fake}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := awsfake.NewPricing(t)
			c := clientFor(t, tc.env(p.URL()))
			if _, err := c.GetProducts(context.Background(), &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2")}); err != nil {
				t.Fatalf("GetProducts: %v", err)
			}
			// The fake checks the signature's scope: us-east-1, pricing, whatever AWS_REGION says.
			if n := len(p.Requests()); n != 1 {
				t.Errorf("the fake saw %d requests, want 1", n)
			}
		})
	}
}

func TestNewClientRefusesAnEndpointThatIsNotAURL(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ACCESS_KEY_ID": awsfake.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awsfake.SecretAccessKey,
		"AWS_ENDPOINT_URL_PRICING": "api.pricing.us-east-1.amazonaws.com"}
	_, err := refresh.NewClient(context.Background(), func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), `AWS_ENDPOINT_URL_PRICING="api.pricing.us-east-1.amazonaws.com" is not an http(s) URL`) {
		t.Errorf("err = %v, want it to name AWS_ENDPOINT_URL_PRICING and say it is not a URL", err)
	}
}
