// Package schema ships the JSON Schema of .gantry.yaml, for editors to complete and check
// the file and for gantry to serve. internal/config tests keep it in step with the Go types.
package schema

import _ "embed"

// JSON is schema/gantry.schema.json (JSON Schema draft 2020-12).
//
//go:embed gantry.schema.json
var JSON []byte
