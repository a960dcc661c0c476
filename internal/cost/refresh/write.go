package refresh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/classla/gantry/internal/cost"
)

// Write stores c at path as the catalog file format: indented by two spaces, every object's keys
// sorted, prices always with a decimal point, so that the diff of a refresh shows only what changed.
// A catalog that cost.LoadCatalog would refuse is not written; the file is replaced atomically.
func Write(c *cost.Catalog, path string) error {
	data, err := Encode(c)
	if err != nil {
		return err
	}
	if _, err := cost.LoadCatalog(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("not writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing the price catalog: %w: check that %s is a writable directory", err, filepath.Dir(path))
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the price catalog to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the price catalog to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the price catalog to %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// Encode returns c in the catalog file format Write uses.
func Encode(c *cost.Catalog) ([]byte, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding the price catalog: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("encoding the price catalog: %w", err)
	}
	var buf bytes.Buffer
	if err := encodeValue(&buf, tree, "", ""); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func encodeValue(buf *bytes.Buffer, v any, key, indent string) error {
	switch v := v.(type) {
	case map[string]any:
		return encodeObject(buf, v, indent)
	case []any:
		if len(v) == 0 {
			buf.WriteString("[]")
			return nil
		}
		buf.WriteString("[\n")
		for i, item := range v {
			buf.WriteString(indent + "  ")
			if err := encodeValue(buf, item, "", indent+"  "); err != nil {
				return err
			}
			if i < len(v)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "]")
	case json.Number:
		buf.WriteString(v.String())
		// Money reads as an amount: 3.0, not 3.
		if key == "usd" && !strings.ContainsAny(v.String(), ".eE") {
			buf.WriteString(".0")
		}
	default:
		var s bytes.Buffer
		enc := json.NewEncoder(&s)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encoding the price catalog: %w", err)
		}
		buf.Write(bytes.TrimSuffix(s.Bytes(), []byte("\n")))
	}
	return nil
}

func encodeObject(buf *bytes.Buffer, m map[string]any, indent string) error {
	if len(m) == 0 {
		buf.WriteString("{}")
		return nil
	}
	buf.WriteString("{\n")
	keys := sortedKeys(m)
	for i, k := range keys {
		name, _ := json.Marshal(k)
		buf.WriteString(indent + "  ")
		buf.Write(name)
		buf.WriteString(": ")
		if err := encodeValue(buf, m[k], k, indent+"  "); err != nil {
			return err
		}
		if i < len(keys)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString(indent + "}")
	return nil
}
