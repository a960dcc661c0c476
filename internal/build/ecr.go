package build

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
)

// ErrRepositoryNotFound is returned by ECRAuth when the repository does not exist.
var ErrRepositoryNotFound = errors.New("ECR repository not found")

// PermissionError is an ECR call the credentials are not allowed to make.
type PermissionError struct {
	Action string // e.g. "ecr:GetAuthorizationToken"
	Err    error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("the AWS role may not call %s: add %s to its policy: %v", e.Action, e.Action, e.Err)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// ECRAuth returns the URI of the ECR repository repositoryName and a login for its registry, from
// GetAuthorizationToken and DescribeRepositories.
func ECRAuth(ctx context.Context, client *ecr.Client, repositoryName string) (string, Auth, error) {
	tok, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", Auth{}, ecrError("ecr:GetAuthorizationToken", err)
	}
	if len(tok.AuthorizationData) == 0 || tok.AuthorizationData[0].AuthorizationToken == nil {
		return "", Auth{}, errors.New("ECR GetAuthorizationToken answered without a token: try again")
	}
	auth, err := decodeToken(*tok.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return "", Auth{}, err
	}
	out, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repositoryName}})
	var notFound *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &notFound):
		return "", Auth{}, fmt.Errorf("%w: %q does not exist in this account and region: create it (Terraform aws_ecr_repository) or fix the service's repository: %v",
			ErrRepositoryNotFound, repositoryName, err)
	case err != nil:
		return "", Auth{}, ecrError("ecr:DescribeRepositories", err)
	}
	if len(out.Repositories) != 1 || out.Repositories[0].RepositoryUri == nil {
		return "", Auth{}, fmt.Errorf("ECR DescribeRepositories answered %d repositories for %q, want 1", len(out.Repositories), repositoryName)
	}
	return *out.Repositories[0].RepositoryUri, auth, nil
}

func ecrError(action string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
			return &PermissionError{Action: action, Err: err}
		}
	}
	return fmt.Errorf("calling %s: %w", action, err)
}

// decodeToken splits an ECR authorization token, base64("AWS:PASSWORD"). The token is a secret, so
// errors never quote it.
func decodeToken(token string) (Auth, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return Auth{}, errors.New("ECR authorization token is not base64: the endpoint is not ECR or the answer was damaged")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return Auth{}, errors.New("ECR authorization token is not USER:PASSWORD: the endpoint is not ECR or the answer was damaged")
	}
	return Auth{Username: user, Password: pass}, nil
}
