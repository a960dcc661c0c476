package redact

import "slices"

// The matcher finds every occurrence of many patterns, all at least MinLength bytes long, in one pass that
// looks at one text position in every step. It relies on this: an occurrence of a pattern of length
// MinLength or more covers step consecutive positions at which a gram of gram bytes starting there lies
// within the pattern's first MinLength bytes, and one of them is a multiple of step. So the matcher indexes
// each pattern's grams at offsets 0 … step-1, hashes the gram at every step-th position of the text, and
// only on a hit in a small bitset looks up and compares candidates. Text without secrets costs a load, a
// multiplication and a bit test per step bytes, and no allocation.
const (
	gram = 4
	step = MinLength - gram + 1
)

// hashBits is the size of the bitset (2^hashBits bits: 8 KiB, which stays in cache).
const hashBits = 16

type matcher struct {
	patterns []string
	seen     [1 << hashBits / 64]uint64 // bit hash(g) is set when some pattern holds gram g at an indexed offset
	index    map[uint32][]candidate
}

// candidate is pattern patterns[pattern] holding a gram at offset off.
type candidate struct {
	pattern int32
	off     int32
}

func newMatcher(patterns []string) *matcher {
	m := &matcher{patterns: patterns, index: map[uint32][]candidate{}}
	for i, p := range patterns {
		for off := range step {
			g := load(p, off)
			c := candidate{pattern: int32(i), off: int32(off)}
			if !slices.Contains(m.index[g], c) {
				m.index[g] = append(m.index[g], c)
			}
			h := hash(g)
			m.seen[h/64] |= 1 << (h % 64)
		}
	}
	return m
}

func hash(g uint32) uint32 { return (g * 0x9E3779B1) >> (32 - hashBits) }

// load reads the gram of s at i, little-endian.
func load[T string | []byte](s T, i int) uint32 {
	_ = s[i+3]
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// span is a part of the text to replace, [start, end).
type span struct{ start, end int }

// find returns the parts of s covered by some pattern, in order, with overlapping occurrences merged into
// one span, so that every byte of every occurrence is replaced even when secrets overlap. It returns nil
// when s holds no pattern.
func find[T string | []byte](m *matcher, s T) []span {
	if len(m.patterns) == 0 {
		return nil
	}
	var found []span
	for p := 0; p+gram <= len(s); p += step {
		g := load(s, p)
		h := hash(g)
		if m.seen[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, c := range m.index[g] {
			pat := m.patterns[c.pattern]
			start := p - int(c.off)
			if start >= 0 && start+len(pat) <= len(s) && string(s[start:start+len(pat)]) == pat {
				found = append(found, span{start, start + len(pat)})
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	slices.SortFunc(found, func(a, b span) int { return a.start - b.start })
	merged := found[:1]
	for _, sp := range found[1:] {
		last := &merged[len(merged)-1]
		if sp.start < last.end {
			last.end = max(last.end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}
