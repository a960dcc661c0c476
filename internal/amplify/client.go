package amplify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsamplify "github.com/aws/aws-sdk-go-v2/service/amplify"
)

// ClientConfig says as whom and where NewClient's client reaches Amplify. Each setting is looked up
// in Env first, then through Getenv, as internal/ship builds its ECS client: a job's assumed-role
// credentials come in Env, the server's region and endpoint overrides from its environment.
type ClientConfig struct {
	// Region is the service's aws.region; empty: AWS_REGION.
	Region string
	// Env holds the job's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, and may hold
	// AWS_REGION, AWS_ENDPOINT_URL_AMPLIFY and AWS_ENDPOINT_URL. Without AWS_ACCESS_KEY_ID the SDK's
	// own credential chain is used (an operator's terminal).
	Env map[string]string
	// Getenv reads what Env lacks (os.Getenv in the server); nil reads nothing.
	Getenv func(string) string
}

func (c ClientConfig) lookup(name string) string {
	if v := c.Env[name]; v != "" {
		return v
	}
	if c.Getenv != nil {
		return c.Getenv(name)
	}
	return ""
}

// NewClient builds an Amplify client from cfg. Its endpoint is AWS_ENDPOINT_URL_AMPLIFY, else
// AWS_ENDPOINT_URL, else Amplify's in the region.
func NewClient(ctx context.Context, cfg ClientConfig) (*awsamplify.Client, error) {
	region := cfg.Region
	if region == "" {
		region = cfg.lookup("AWS_REGION")
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if id := cfg.Env["AWS_ACCESS_KEY_ID"]; id != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id,
			cfg.Env["AWS_SECRET_ACCESS_KEY"], cfg.Env["AWS_SESSION_TOKEN"])))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for Amplify: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("no AWS region for Amplify: set aws.region of the service in .gantry.yaml, or AWS_REGION")
	}
	endpoint := cfg.lookup("AWS_ENDPOINT_URL_AMPLIFY")
	if endpoint == "" {
		endpoint = cfg.lookup("AWS_ENDPOINT_URL")
	}
	return awsamplify.NewFromConfig(awsCfg, func(o *awsamplify.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}
