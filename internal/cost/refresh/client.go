package refresh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// APIRegion is where the Price List Query API is served; its prices cover every region.
const APIRegion = "us-east-1"

// NewClient returns a Price List API client for us-east-1 with the AWS SDK's default configuration
// (profile, environment, web identity, instance role), with AWS_ENDPOINT_URL_PRICING, else
// AWS_ENDPOINT_URL, as its endpoint when set. getenv is os.Getenv outside tests. It fails early, with
// what to set, when no credentials can be found.
func NewClient(ctx context.Context, getenv func(string) string) (*pricing.Client, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(APIRegion)}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	}
	if profile := getenv("AWS_PROFILE"); profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	endpoint, name := getenv("AWS_ENDPOINT_URL_PRICING"), "AWS_ENDPOINT_URL_PRICING"
	if endpoint == "" {
		endpoint, name = getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
	}
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%s=%q is not an http(s) URL: set it to the Price List API endpoint, such as https://api.pricing.us-east-1.amazonaws.com, or unset it", name, endpoint)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w: check AWS_PROFILE and the shared config files", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials for the Price List API (%w): set AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, for an identity allowed pricing:GetProducts", err)
	}
	return pricing.NewFromConfig(cfg, func(o *pricing.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// explain turns an error of the Price List API into one that says what to check.
func explain(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidClientTokenId",
			"InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignatureException",
			"MissingAuthenticationTokenException", "ExpiredTokenException", "ExpiredToken":
			return fmt.Errorf("%w: %w: check the AWS credentials gantry runs with, and that their IAM policy allows pricing:GetProducts", ErrAccessDenied, err)
		case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
			return fmt.Errorf("%w: %w: wait a minute and run `gantry prices refresh` again", ErrThrottled, err)
		case "UnknownOperationException":
			return fmt.Errorf("%w: %w: %s", ErrEndpoint, err, endpointHint)
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusForbidden:
			return fmt.Errorf("%w: %w: check the AWS credentials gantry runs with, and that their IAM policy allows pricing:GetProducts", ErrAccessDenied, err)
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w: %s", ErrEndpoint, err, endpointHint)
		}
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) {
		return fmt.Errorf("%w: %w: %s", ErrEndpoint, err, endpointHint)
	}
	return fmt.Errorf("the AWS Price List API failed: %w", err)
}

const endpointHint = "the Price List API is served from us-east-1 (https://api.pricing.us-east-1.amazonaws.com): check the network path to it, or point AWS_ENDPOINT_URL_PRICING at its endpoint"
