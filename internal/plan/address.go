package plan

import (
	"sort"
	"strconv"
	"strings"
)

// sortChanges puts changes in the order Terraform lists them, so a reader finds them in the
// same place in gantry's summary and in Terraform's output: the root module's resources
// first, then each module's (shallower modules first), data sources before managed
// resources, instance keys numerically when they are numbers.
func sortChanges(cs []Change) {
	keys := make([]address, len(cs))
	ok := make([]bool, len(cs))
	for i, c := range cs {
		keys[i], ok[i] = parseAddress(c.Address)
	}
	idx := make([]int, len(cs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if ok[i] && ok[j] {
			if c := keys[i].compare(keys[j]); c != 0 {
				return c < 0
			}
		} else if cs[i].Address != cs[j].Address {
			return cs[i].Address < cs[j].Address
		}
		return cs[i].Deposed < cs[j].Deposed
	})
	sorted := make([]Change, len(cs))
	for n, i := range idx {
		sorted[n] = cs[i]
	}
	copy(cs, sorted)
}

// instanceKey is the [KEY] after a module or resource name: none, a number or a string.
type instanceKey struct {
	kind int // 0 none, 1 number, 2 string: Terraform's order of key types
	num  int
	str  string
}

func (k instanceKey) compare(o instanceKey) int {
	switch {
	case k.kind != o.kind:
		return k.kind - o.kind
	case k.kind == 1:
		return k.num - o.num
	default:
		return strings.Compare(k.str, o.str)
	}
}

type step struct {
	name string
	key  instanceKey
}

type address struct {
	modules []step
	data    bool
	typ     string
	name    string
	key     instanceKey
}

func (a address) compare(o address) int {
	if len(a.modules) != len(o.modules) {
		return len(a.modules) - len(o.modules)
	}
	for i := range a.modules {
		if c := strings.Compare(a.modules[i].name, o.modules[i].name); c != 0 {
			return c
		}
		if c := a.modules[i].key.compare(o.modules[i].key); c != 0 {
			return c
		}
	}
	if a.data != o.data {
		if a.data {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.typ, o.typ); c != 0 {
		return c
	}
	if c := strings.Compare(a.name, o.name); c != 0 {
		return c
	}
	return a.key.compare(o.key)
}

// parseAddress reads a resource instance address such as
// module.service["api"].aws_cloudwatch_log_group.this or data.aws_region.current[0].
func parseAddress(s string) (address, bool) {
	var a address
	r := &reader{s: s}
	for strings.HasPrefix(r.rest(), "module.") {
		r.pos += len("module.")
		st, ok := r.step()
		if !ok || !r.dot() {
			return address{}, false
		}
		a.modules = append(a.modules, st)
	}
	if strings.HasPrefix(r.rest(), "data.") {
		r.pos += len("data.")
		a.data = true
	}
	a.typ = r.name()
	if a.typ == "" || !r.dot() {
		return address{}, false
	}
	st, ok := r.step()
	if !ok || r.pos != len(s) {
		return address{}, false
	}
	a.name, a.key = st.name, st.key
	return a, true
}

type reader struct {
	s   string
	pos int
}

func (r *reader) rest() string { return r.s[r.pos:] }

func (r *reader) dot() bool {
	if r.pos < len(r.s) && r.s[r.pos] == '.' {
		r.pos++
		return true
	}
	return false
}

func (r *reader) name() string {
	start := r.pos
	for r.pos < len(r.s) && r.s[r.pos] != '.' && r.s[r.pos] != '[' {
		r.pos++
	}
	return r.s[start:r.pos]
}

// step reads NAME or NAME[KEY].
func (r *reader) step() (step, bool) {
	st := step{name: r.name()}
	if st.name == "" {
		return step{}, false
	}
	if r.pos == len(r.s) || r.s[r.pos] != '[' {
		return st, true
	}
	r.pos++
	if r.pos < len(r.s) && r.s[r.pos] == '"' {
		str, ok := r.quoted()
		if !ok {
			return step{}, false
		}
		st.key = instanceKey{kind: 2, str: str}
	} else {
		end := strings.IndexByte(r.rest(), ']')
		if end < 0 {
			return step{}, false
		}
		n, err := strconv.Atoi(r.s[r.pos : r.pos+end])
		if err != nil {
			return step{}, false
		}
		st.key = instanceKey{kind: 1, num: n}
		r.pos += end
	}
	if r.pos == len(r.s) || r.s[r.pos] != ']' {
		return step{}, false
	}
	r.pos++
	return st, true
}

// quoted reads a double-quoted key; a backslash escapes the character after it.
func (r *reader) quoted() (string, bool) {
	var b strings.Builder
	for r.pos++; r.pos < len(r.s); r.pos++ {
		switch c := r.s[r.pos]; c {
		case '\\':
			r.pos++
			if r.pos == len(r.s) {
				return "", false
			}
			b.WriteByte(r.s[r.pos])
		case '"':
			r.pos++
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
