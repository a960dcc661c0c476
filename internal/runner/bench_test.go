package runner_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkClaimAndResult measures what the server spends on one job run in a runner: the claim (token
// verification against the issuer's cached keys, the claim's write, the job token) and the result of a
// plan (a 64 KiB plan file and 256 KiB of plan JSON, stored in one write). The runner's own time is not in it.
func BenchmarkClaimAndResult(b *testing.B) {
	f := newAPIFixture(b)
	outcome, _ := json.Marshal(map[string]string{
		"file": base64.StdEncoding.EncodeToString(make([]byte, 64<<10)),
		"json": base64.StdEncoding.EncodeToString([]byte(strings.Repeat(`{"resource_changes":[]}`, 256<<10/23))),
	})
	body, _ := json.Marshal(map[string]json.RawMessage{"outcome": outcome})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		_, ref := f.dispatch("gantry-plan")
		token := f.issuer.Sign(f.honestClaims("gantry-plan"))
		b.StartTimer()
		rec := f.claim(ref, token)
		if rec.Code != http.StatusOK {
			b.Fatalf("claim: %d %s", rec.Code, rec.Body)
		}
		var claimed struct{ Token string }
		if err := json.Unmarshal(rec.Body.Bytes(), &claimed); err != nil {
			b.Fatal(err)
		}
		if rec := f.result(ref, claimed.Token, string(body)); rec.Code != http.StatusNoContent {
			b.Fatalf("result: %d %s", rec.Code, rec.Body)
		}
	}
}
