// Package awsfake is the home of local HTTP servers that speak AWS's real wire protocols, for tests
// that drive the real aws-sdk-go-v2 clients against them. Each service lives in its own file(s) and
// starts with its own constructor (NewPricing, …); every server is an httptest server closed when the
// test ends.
//
// The fakes check what AWS checks — a SigV4 signature made with AccessKeyID and SecretAccessKey for the
// right service and region, the protocol's content type and target, well-formed input — and answer in
// AWS's own shapes, errors included. A request a fake cannot answer (an unknown operation, a malformed
// body) also fails the test, so code that starts calling something new cannot pass by accident.
//
// Tests seed state (Pricing.AddProduct), point the client at URL() (AWS_ENDPOINT_URL or the
// per-service AWS_ENDPOINT_URL_<SERVICE>), inject failures (FailNext) and inspect Requests.
package awsfake
