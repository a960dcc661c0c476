package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	redaction "github.com/classla/gantry/internal/redact"
)

// DefaultDuration is how long assumed credentials last unless Options.Duration says otherwise.
const DefaultDuration = time.Hour

// STS's bounds on DurationSeconds; a role's own maximum may be lower than 12 h.
const (
	minDuration = 15 * time.Minute
	maxDuration = 12 * time.Hour
)

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// Options configure a Provider for one role and one run.
type Options struct {
	RoleARN     string        // the project's or service's aws.role_arn
	Region      string        // its aws.region; empty: AWS_REGION, AWS_DEFAULT_REGION, then the shared config
	SessionName string        // see SessionName
	Token       TokenSource   // see TokenSourceFromEnv
	Duration    time.Duration // lifetime of the credentials; default DefaultDuration
	// MaxAttempts bounds the STS attempts of one assumption; 0 keeps the SDK's default (3, or
	// AWS_MAX_ATTEMPTS). The SDK retries InvalidIdentityToken, which an identity provider that is slow
	// to publish its keys causes.
	MaxAttempts int
	HTTPClient  *http.Client        // for STS; default the SDK's
	Getenv      func(string) string // default os.Getenv
	// Redact, when not nil, learns every web identity token presented to STS and the secret access key
	// and session token of every credentials STS returns, before anyone else sees them.
	Redact *redaction.Filter
}

// Provider assumes one role by web identity and caches the credentials until a quarter of their
// lifetime is left, so that every step of a run shares one assumption and none starts with
// credentials about to expire. It implements the SDK's aws.CredentialsProvider. It is safe for
// concurrent use.
type Provider struct {
	roleARN, region, session string
	duration                 time.Duration
	token                    TokenSource
	redact                   *redaction.Filter
	client                   *sts.Client
	cache                    *awssdk.CredentialsCache
}

// NewProvider checks o and prepares the STS client; nothing is asked of STS before Retrieve or Env.
//
// The STS client is loaded from the SDK's standard configuration but with anonymous credentials:
// AssumeRoleWithWebIdentity is not signed, and the SDK's own credential chain (which would act on
// AWS_ACCESS_KEY_ID, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE) must never choose the role.
// Its endpoint is AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else STS of the region.
func NewProvider(ctx context.Context, o Options) (*Provider, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := check(&o); err != nil {
		return nil, err
	}
	endpoint, err := stsEndpoint(getenv)
	if err != nil {
		return nil, err
	}
	region := o.Region
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region == "" {
			region = getenv(v)
		}
	}
	opts := []func(*config.LoadOptions) error{config.WithCredentialsProvider(awssdk.AnonymousCredentials{})}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	if o.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(o.MaxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration for %s: %w: check AWS_PROFILE and the shared config files", o.RoleARN, err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region for %s: set aws.region of the project or service in .gantry.yaml, or AWS_REGION", o.RoleARN)
	}
	p := &Provider{
		roleARN: o.RoleARN, region: cfg.Region, session: o.SessionName, duration: o.Duration, token: o.Token,
		redact: o.Redact,
		client: sts.NewFromConfig(cfg, func(so *sts.Options) {
			so.Credentials = awssdk.AnonymousCredentials{}
			if endpoint != "" {
				so.BaseEndpoint = awssdk.String(endpoint)
			}
		}),
	}
	p.cache = awssdk.NewCredentialsCache(awssdk.CredentialsProviderFunc(p.assume), func(co *awssdk.CredentialsCacheOptions) {
		co.ExpiryWindow = o.Duration / 4
	})
	return p, nil
}

// check validates o and fills in the default duration.
func check(o *Options) error {
	switch {
	case !roleARNPattern.MatchString(o.RoleARN):
		return fmt.Errorf("role ARN %q is not an IAM role ARN: set aws.role_arn to arn:aws:iam::ACCOUNT:role/NAME", o.RoleARN)
	case !sessionNamePattern.MatchString(o.SessionName):
		return fmt.Errorf("role session name %q is not 2–64 characters of [\\w+=,.@-]: build it with SessionName", o.SessionName)
	case o.Token == nil:
		return fmt.Errorf("no web identity token source for %s: %w", o.RoleARN, ErrNoTokenSource)
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < minDuration || o.Duration > maxDuration {
		return fmt.Errorf("credential duration %s for %s is outside STS's 15m–12h", o.Duration, o.RoleARN)
	}
	return nil
}

// stsEndpoint is the endpoint override the environment asks for, if any, as the SDK reads it.
func stsEndpoint(getenv func(string) string) (string, error) {
	if strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return "", nil
	}
	endpoint, name := getenv("AWS_ENDPOINT_URL_STS"), "AWS_ENDPOINT_URL_STS"
	if endpoint == "" {
		endpoint, name = getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
	}
	if endpoint == "" {
		return "", nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s=%q is not an http(s) URL: set it to an STS endpoint, such as https://sts.us-east-1.amazonaws.com, or unset it", name, endpoint)
	}
	return endpoint, nil
}

// Retrieve returns the role's credentials, assuming the role when none are cached or they are close
// to expiring. A refusal by STS is an *AssumeRoleError.
func (p *Provider) Retrieve(ctx context.Context) (awssdk.Credentials, error) {
	creds, err := p.cache.Retrieve(ctx)
	var f *assumeFailure
	if errors.As(err, &f) {
		return awssdk.Credentials{}, f.err // without the cache's "failed to refresh" wrapping
	}
	if err != nil {
		return awssdk.Credentials{}, fmt.Errorf("assuming %s: %w", p.roleARN, err)
	}
	return creds, nil
}

// Env is the environment of a Terraform or AWS process acting as the role: exactly AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and AWS_DEFAULT_REGION.
func (p *Provider) Env(ctx context.Context) (map[string]string, error) {
	creds, err := p.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"AWS_SESSION_TOKEN":     creds.SessionToken,
		"AWS_REGION":            p.region,
		"AWS_DEFAULT_REGION":    p.region,
	}, nil
}

// assume is one AssumeRoleWithWebIdentity. The SDK's provider asks its token retriever without a
// context, so a provider is built per call around a retriever bound to this call's context.
func (p *Provider) assume(ctx context.Context) (awssdk.Credentials, error) {
	r := &retriever{ctx: ctx, src: p.token, redact: p.redact}
	web := stscreds.NewWebIdentityRoleProvider(p.client, p.roleARN, r, func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = p.session
		o.Duration = p.duration
	})
	creds, err := web.Retrieve(ctx)
	switch {
	case err == nil:
		p.redact.AddUntil(creds.Expires, creds.SecretAccessKey, creds.SessionToken)
		return creds, nil
	case r.err != nil:
		return awssdk.Credentials{}, &assumeFailure{fmt.Errorf("getting a web identity token to assume %s: %w", p.roleARN, r.err)}
	default:
		return awssdk.Credentials{}, &assumeFailure{explain(err, p.roleARN, r.token, p.token)}
	}
}

// retriever adapts a TokenSource to the SDK's IdentityTokenRetriever and keeps what it returned, so
// that a failure can be explained from the token's claims and the token kept out of the message.
type retriever struct {
	ctx    context.Context
	src    TokenSource
	redact *redaction.Filter
	token  string
	err    error
}

func (r *retriever) GetIdentityToken() ([]byte, error) {
	r.token, r.err = r.src.Token(r.ctx)
	if r.err != nil {
		return nil, r.err
	}
	// Whatever the source, the token presented is a secret.
	r.redact.Add(r.token)
	return []byte(r.token), nil
}

// assumeFailure carries an explained error through the SDK's credentials cache.
type assumeFailure struct{ err error }

func (f *assumeFailure) Error() string { return f.err.Error() }
func (f *assumeFailure) Unwrap() error { return f.err }
