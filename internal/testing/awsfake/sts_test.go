package awsfake_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

const deployRole = "arn:aws:iam::111111111111:role/ci/gantry-deploy"

func stsClient(s *awsfake.STS) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL()), Retryer: aws.NopRetryer{}})
}

func assumeInput(role, session, token string, seconds int32) *sts.AssumeRoleWithWebIdentityInput {
	return &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String(session), WebIdentityToken: aws.String(token),
		DurationSeconds: aws.Int32(seconds),
	}
}

// jwt builds an unsigned token with the given claims, shaped as GitHub's are.
func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + ".c2lnbmF0dXJl"
}

func TestSTSAssumeRoleWithWebIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := awsfake.NewSTS(t)
	token := jwt(map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
		"sub": "repo:octo-org/octo-repo:ref:refs/heads/main"})
	s.AllowRole(deployRole, token)
	c := stsClient(s)

	first, err := c.AssumeRoleWithWebIdentity(ctx, assumeInput(deployRole, "gantry-octo-org-octo-repo-7-web", token, 900))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	second, err := c.AssumeRoleWithWebIdentity(ctx, assumeInput(deployRole, "gantry-octo-org-octo-repo-8-web", token, 3600))
	if err != nil {
		t.Fatalf("second AssumeRoleWithWebIdentity: %v", err)
	}

	t.Run("the SDK decodes the credentials the fake records as issued", func(t *testing.T) {
		issued := s.Issued()
		if len(issued) != 2 {
			t.Fatalf("Issued() has %d entries, want 2", len(issued))
		}
		for i, out := range []*sts.AssumeRoleWithWebIdentityOutput{first, second} {
			got := awsfake.IssuedCredentials{
				RoleARN: issued[i].RoleARN, SessionName: issued[i].SessionName, Token: issued[i].Token,
				DurationSeconds: issued[i].DurationSeconds, Expiration: issued[i].Expiration,
				AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
				SessionToken: aws.ToString(out.Credentials.SessionToken),
				Subject:      aws.ToString(out.SubjectFromWebIdentityToken), Audience: aws.ToString(out.Audience),
			}
			if diff := cmp.Diff(issued[i], got); diff != "" {
				t.Errorf("call %d: the SDK's credentials differ from Issued() (-issued +sdk):\n%s", i, diff)
			}
			if !aws.ToTime(out.Credentials.Expiration).Equal(issued[i].Expiration) {
				t.Errorf("call %d: SDK expiration %v, issued %v", i, out.Credentials.Expiration, issued[i].Expiration)
			}
		}
		if issued[0].AccessKeyID == issued[1].AccessKeyID || issued[0].SessionToken == issued[1].SessionToken {
			t.Errorf("two calls got the same credentials; each call must get fresh ones")
		}
		if !strings.HasPrefix(issued[0].AccessKeyID, "ASIA") || len(issued[0].AccessKeyID) != 20 {
			t.Errorf("access key id %q, want ASIA + 16 characters like STS's temporary keys", issued[0].AccessKeyID)
		}
	})

	t.Run("what was asked is recorded and shapes the answer", func(t *testing.T) {
		issued := s.Issued()
		want := []struct {
			session string
			seconds int
		}{{"gantry-octo-org-octo-repo-7-web", 900}, {"gantry-octo-org-octo-repo-8-web", 3600}}
		for i, w := range want {
			if issued[i].RoleARN != deployRole || issued[i].SessionName != w.session || issued[i].Token != token || issued[i].DurationSeconds != w.seconds {
				t.Errorf("call %d recorded %s %s %d, want %s %s %d and the token", i, issued[i].RoleARN, issued[i].SessionName, issued[i].DurationSeconds, deployRole, w.session, w.seconds)
			}
			lifetime := time.Until(issued[i].Expiration)
			if lifetime < time.Duration(w.seconds-60)*time.Second || lifetime > time.Duration(w.seconds)*time.Second {
				t.Errorf("call %d expires in %v, want about %ds", i, lifetime, w.seconds)
			}
		}
		// The role user is the role's name (the path dropped) with the session name, in the role's account.
		if got := aws.ToString(first.AssumedRoleUser.Arn); got != "arn:aws:sts::111111111111:assumed-role/gantry-deploy/gantry-octo-org-octo-repo-7-web" {
			t.Errorf("AssumedRoleUser.Arn = %q", got)
		}
		if got := aws.ToString(first.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(got, "AROA") || !strings.HasSuffix(got, ":gantry-octo-org-octo-repo-7-web") {
			t.Errorf("AssumedRoleId = %q, want AROA…:SESSION", got)
		}
		got := []string{aws.ToString(first.SubjectFromWebIdentityToken), aws.ToString(first.Audience), aws.ToString(first.Provider)}
		if diff := cmp.Diff([]string{"repo:octo-org/octo-repo:ref:refs/heads/main", "sts.amazonaws.com", "token.actions.githubusercontent.com"}, got); diff != "" {
			t.Errorf("subject, audience, provider taken from the token's claims (-want +got):\n%s", diff)
		}
	})

	t.Run("requests are the Query protocol's and answers STS's XML", func(t *testing.T) {
		reqs := s.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		form, err := url.ParseQuery(string(reqs[0].Body))
		if err != nil {
			t.Fatal(err)
		}
		if form.Get("Action") != "AssumeRoleWithWebIdentity" || form.Get("Version") != "2011-06-15" || reqs[0].Header.Get("Authorization") != "" {
			t.Errorf("request %q with Authorization %q, want an unsigned Action=AssumeRoleWithWebIdentity&Version=2011-06-15", reqs[0].Body, reqs[0].Header.Get("Authorization"))
		}
		var doc struct {
			XMLName   xml.Name
			AccessKey string `xml:"AssumeRoleWithWebIdentityResult>Credentials>AccessKeyId"`
			RequestID string `xml:"ResponseMetadata>RequestId"`
		}
		if err := xml.Unmarshal(reqs[0].Response, &doc); err != nil {
			t.Fatalf("answer is not XML: %v", err)
		}
		if doc.XMLName.Space != "https://sts.amazonaws.com/doc/2011-06-15/" || doc.XMLName.Local != "AssumeRoleWithWebIdentityResponse" ||
			doc.AccessKey != s.Issued()[0].AccessKeyID || doc.RequestID == "" {
			t.Errorf("answer %s is not STS's AssumeRoleWithWebIdentityResponse", reqs[0].Response)
		}
	})
}

func TestSTSRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name       string
		setup      func(*awsfake.STS)
		role       string
		wantStatus int
		wantCode   string
		typed      func(error) bool // the SDK's own error type, where STS's model has one
	}{
		{"a token the role does not accept is an invalid identity token", func(*awsfake.STS) {}, deployRole,
			400, "InvalidIdentityToken", isA[*types.InvalidIdentityTokenException]},
		{"a role nobody allowed is access denied", func(*awsfake.STS) {}, "arn:aws:iam::111111111111:role/other",
			403, "AccessDenied", func(error) bool { return true }},
		{"an injected failure is answered once, before checking the token", func(s *awsfake.STS) {
			s.FailNext(400, "ExpiredTokenException", "Token expired: current date/time 1700000900 must be before the expiration date/time 1700000600")
		}, deployRole, 400, "ExpiredTokenException", isA[*types.ExpiredTokenException]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := awsfake.NewSTS(t)
			s.AllowRole(deployRole, "the-right-token")
			tc.setup(s)
			token := "the-right-token"
			if tc.wantCode == "InvalidIdentityToken" {
				token = "a-wrong-token"
			}
			_, err := stsClient(s).AssumeRoleWithWebIdentity(ctx, assumeInput(tc.role, "gantry-session", token, 900))
			var apiErr smithy.APIError
			var respErr *smithyhttp.ResponseError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode || apiErr.ErrorMessage() == "" ||
				!errors.As(err, &respErr) || respErr.HTTPStatusCode() != tc.wantStatus {
				t.Fatalf("err = %v, want %s with status %d and a message", err, tc.wantCode, tc.wantStatus)
			}
			if !tc.typed(err) {
				t.Errorf("err = %v, want the SDK's typed error for %s", err, tc.wantCode)
			}
			if len(s.Issued()) != 0 {
				t.Errorf("credentials were issued for a refused call")
			}
			if tc.wantCode == "ExpiredTokenException" {
				if _, err := stsClient(s).AssumeRoleWithWebIdentity(ctx, assumeInput(tc.role, "gantry-session", token, 900)); err != nil {
					t.Errorf("the call after the injected failure: %v, want success", err)
				}
			}
		})
	}
}

func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestSTSUnanswerableRequestsFailTheTest(t *testing.T) {
	t.Parallel()
	valid := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {deployRole},
		"RoleSessionName": {"gantry-session"}, "WebIdentityToken": {"the-right-token"}}
	with := func(k, v string) string {
		f := url.Values{}
		for key, vals := range valid {
			f[key] = vals
		}
		f.Set(k, v)
		return f.Encode()
	}
	cases := []struct {
		name, method, contentType, body string
		wantStatus                      int
		wantCode                        string
	}{
		{"a GET fails the test", http.MethodGet, "", "", 404, "UnknownOperation"},
		{"another operation fails the test", http.MethodPost, "application/x-www-form-urlencoded", with("Action", "GetCallerIdentity"), 400, "InvalidAction"},
		{"a JSON body fails the test", http.MethodPost, "application/json", `{"RoleArn":"x"}`, 400, "ValidationError"},
		{"a session name with a space fails the test", http.MethodPost, "application/x-www-form-urlencoded", with("RoleSessionName", "two words"), 400, "ValidationError"},
		{"a session name over 64 characters fails the test", http.MethodPost, "application/x-www-form-urlencoded", with("RoleSessionName", strings.Repeat("s", 65)), 400, "ValidationError"},
		{"a duration under 15 minutes fails the test", http.MethodPost, "application/x-www-form-urlencoded", with("DurationSeconds", "600"), 400, "ValidationError"},
		{"a missing token fails the test", http.MethodPost, "application/x-www-form-urlencoded", with("WebIdentityToken", ""), 400, "ValidationError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			s := awsfake.NewSTS(rec)
			s.AllowRole(deployRole, "the-right-token")
			req, _ := http.NewRequest(tc.method, s.URL()+"/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var e struct {
				Type    string `xml:"Error>Type"`
				Code    string `xml:"Error>Code"`
				Message string `xml:"Error>Message"`
			}
			if err := xml.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body %q is not XML: %v", raw, err)
			}
			if resp.StatusCode != tc.wantStatus || e.Code != tc.wantCode || e.Type != "Sender" || e.Message == "" {
				t.Errorf("got %d %s/%s %q, want %d Sender/%s with a message", resp.StatusCode, e.Type, e.Code, e.Message, tc.wantStatus, tc.wantCode)
			}
			if len(rec.errors()) != 1 {
				t.Errorf("the fake reported %q, want one test error", rec.errors())
			}
			if len(s.Issued()) != 0 {
				t.Errorf("credentials were issued for a malformed request")
			}
		})
	}
}
