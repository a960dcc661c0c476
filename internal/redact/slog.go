package redact

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Handler wraps h so that the message and every attribute value of each record pass through f before h
// writes them: strings, errors, byte slices, groups, LogValuers and any other value whose printed or JSON
// form holds a secret (which is then logged as its filtered printed form). Attributes given to WithAttrs are
// filtered with the secrets known when a record is logged, not when the logger was made, so a logger made
// before a token was minted still hides it.
func Handler(h slog.Handler, f *Filter) slog.Handler {
	return &handler{inner: h, f: f}
}

type handler struct {
	inner slog.Handler // without the attributes and groups of ops
	f     *Filter
	ops   []op // WithAttrs and WithGroup calls, oldest first

	derived atomic.Pointer[derived] // inner with ops applied, filtered with the secrets of one version
}

// op is one WithAttrs (attrs) or WithGroup (group) call.
type op struct {
	group string
	attrs []slog.Attr
}

type derived struct {
	version *matcher
	h       slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.f.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.f.attr(a))
		return true
	})
	return h.current().Handle(ctx, out)
}

// current is the inner handler with the logger's attributes filtered by the secrets known now; it is
// rebuilt only when the filter learned or forgot a secret since.
func (h *handler) current() slog.Handler {
	if len(h.ops) == 0 {
		return h.inner
	}
	v := h.f.version()
	if d := h.derived.Load(); d != nil && d.version == v {
		return d.h
	}
	inner := h.inner
	for _, o := range h.ops {
		if o.attrs == nil {
			inner = inner.WithGroup(o.group)
			continue
		}
		attrs := make([]slog.Attr, len(o.attrs))
		for i, a := range o.attrs {
			attrs[i] = h.f.attr(a)
		}
		inner = inner.WithAttrs(attrs)
	}
	h.derived.Store(&derived{version: v, h: inner})
	return inner
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(op{attrs: attrs})
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(op{group: name})
}

func (h *handler) with(o op) *handler {
	return &handler{inner: h.inner, f: h.f, ops: append(h.ops[:len(h.ops):len(h.ops)], o)}
}

// attr is a with its value filtered.
func (f *Filter) attr(a slog.Attr) slog.Attr {
	return slog.Attr{Key: a.Key, Value: f.value(a.Value)}
}

func (f *Filter) value(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		if r := f.String(s); r != s {
			return slog.StringValue(r)
		}
		return v
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, a := range group {
			out[i] = f.attr(a)
		}
		return slog.GroupValue(out...)
	case slog.KindLogValuer:
		return f.value(v.Resolve())
	case slog.KindAny:
		return f.any(v)
	}
	return v // numbers, booleans, times and durations hold no secret
}

// any filters a value that the inner handler would print with fmt or encode as JSON: if either form holds
// a secret, the value is replaced by its filtered printed form.
func (f *Filter) any(v slog.Value) slog.Value {
	switch x := v.Any().(type) {
	case error:
		s := x.Error()
		if r := f.String(s); r != s {
			return slog.StringValue(r)
		}
		return v
	case []byte:
		if r := f.Bytes(x); string(r) != string(x) {
			return slog.StringValue(string(r))
		}
		return v
	}
	printed := fmt.Sprintf("%+v", v.Any())
	if r := f.String(printed); r != printed {
		return slog.StringValue(r)
	}
	if b, err := json.Marshal(v.Any()); err == nil {
		if r := f.Bytes(b); string(r) != string(b) {
			return slog.StringValue(string(r))
		}
	}
	return v
}
