package awsfake_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

func ecrClient(e *awsfake.ECR, secret string) *ecr.Client {
	return ecr.New(ecr.Options{
		Region:       awsfake.ECRRegion,
		BaseEndpoint: aws.String(e.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func TestECRGetAuthorizationToken(t *testing.T) {
	t.Parallel()
	fake := awsfake.NewECR(t, "127.0.0.1:5000")
	before := time.Now()
	out, err := ecrClient(fake, awsfake.SecretAccessKey).GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("%d authorizationData entries, want 1", len(out.AuthorizationData))
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		t.Fatalf("token is not base64: %v", err)
	}
	if want := "AWS:" + fake.Password(); string(raw) != want {
		t.Error("token does not decode to AWS:<the fake's password>")
	}
	if got := aws.ToString(d.ProxyEndpoint); got != "https://127.0.0.1:5000" {
		t.Errorf("proxyEndpoint = %q, want https://127.0.0.1:5000", got)
	}
	// ECR tokens last 12 hours.
	if exp := aws.ToTime(d.ExpiresAt); exp.Before(before.Add(11*time.Hour)) || exp.After(before.Add(13*time.Hour)) {
		t.Errorf("expiresAt = %v, want about 12 h from now", exp)
	}
}

func TestECRDescribeRepositories(t *testing.T) {
	t.Parallel()
	fake := awsfake.NewECR(t, "127.0.0.1:5000")
	fake.AddRepository("lms/web")
	c := ecrClient(fake, awsfake.SecretAccessKey)

	t.Run("an existing repository is described with its URI on the registry host", func(t *testing.T) {
		out, err := c.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"lms/web"}})
		if err != nil {
			t.Fatalf("DescribeRepositories: %v", err)
		}
		if len(out.Repositories) != 1 {
			t.Fatalf("%d repositories, want 1", len(out.Repositories))
		}
		r := out.Repositories[0]
		got := []string{aws.ToString(r.RepositoryName), aws.ToString(r.RepositoryUri), aws.ToString(r.RepositoryArn), aws.ToString(r.RegistryId), string(r.ImageTagMutability)}
		want := []string{"lms/web", "127.0.0.1:5000/lms/web", "arn:aws:ecr:us-east-1:123456789012:repository/lms/web", "123456789012", "MUTABLE"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("repository (-want +got):\n%s", diff)
		}
		if r.CreatedAt == nil || r.CreatedAt.IsZero() {
			t.Error("createdAt is missing")
		}
	})
	t.Run("a missing repository is RepositoryNotFoundException", func(t *testing.T) {
		_, err := c.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"nope"}})
		var nf *types.RepositoryNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("error %v, want RepositoryNotFoundException", err)
		}
	})
	t.Run("a denied operation is AccessDeniedException naming the action", func(t *testing.T) {
		denied := awsfake.NewECR(t, "127.0.0.1:5000")
		denied.Deny("DescribeRepositories")
		_, err := ecrClient(denied, awsfake.SecretAccessKey).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" || !bytes.Contains([]byte(api.ErrorMessage()), []byte("ecr:DescribeRepositories")) {
			t.Fatalf("error %v, want AccessDeniedException naming ecr:DescribeRepositories", err)
		}
	})
}

func TestECRRefusesUnsignedAndWrongSignatures(t *testing.T) {
	t.Parallel()
	fake := awsfake.NewECR(t, "127.0.0.1:5000")
	t.Run("a wrong secret key is InvalidSignatureException", func(t *testing.T) {
		_, err := ecrClient(fake, "wrong-secret").GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "InvalidSignatureException" {
			t.Fatalf("error %v, want InvalidSignatureException", err)
		}
	})
	t.Run("an unsigned request is refused with 403 and no token", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/", bytes.NewReader([]byte("{}")))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", awsfake.ECRGetAuthorizationToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != http.StatusForbidden || body["__type"] != "MissingAuthenticationTokenException" {
			t.Fatalf("status %d body %v, want 403 MissingAuthenticationTokenException", resp.StatusCode, body)
		}
	})
}
