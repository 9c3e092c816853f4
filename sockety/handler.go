package sockety

import (
	"context"
	"sync"
)

// Handler handles the messages a peer sends on a connection, like
// net/http's Handler. ServeSockety may block (read large payloads, call
// other services); it runs in its own goroutine unless it is an
// InlineHandler that accepts the message. The message's payloads are
// readable until ServeSockety returns; unread bytes are dropped then.
type Handler interface {
	ServeSockety(m *Message)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(m *Message)

// ServeSockety calls f(m).
func (f HandlerFunc) ServeSockety(m *Message) { f(m) }

// InlineHandler is a Handler that may handle some messages on the
// connection's read loop, without a goroutine: Inline is asked for every
// message that arrived whole (no stream, payload of at most
// Options.SmallMessage bytes) and, when it returns true, ServeSockety runs
// on the read loop. It must then not block: nothing else is read on the
// connection meanwhile. Replies from there are fine (they only wait when
// the write queue is full). A message handled inline must not be used
// after ServeSockety returned (its *Message is reused for the next one):
// reply before returning and copy what you keep (payload bytes included).
type InlineHandler interface {
	Handler
	Inline(m *Message) bool
}

// Router dispatches messages by action name, the equivalent of the Node.js
// MessageHandler. Routes are registered before serving; a Router is safe
// for concurrent use once serving started.
type Router struct {
	mu       sync.RWMutex
	routes   map[string]route
	notFound route
}

type route struct {
	h      Handler
	code   func(m *Message) Code
	inline bool
}

// NewRouter returns a Router whose unknown actions get a NotImplemented
// fast reply (when a reply is expected).
func NewRouter() *Router {
	return &Router{routes: map[string]route{}}
}

// Handle routes action to h, run in its own goroutine.
func (r *Router) Handle(action string, h Handler) {
	r.set(action, route{h: h})
}

// HandleFunc routes action to f, run in its own goroutine.
func (r *Router) HandleFunc(action string, f func(m *Message)) {
	r.set(action, route{h: HandlerFunc(f)})
}

// HandleInline routes action to f, run on the read loop for messages that
// arrived whole; f must not block.
func (r *Router) HandleInline(action string, f func(m *Message)) {
	r.set(action, route{h: HandlerFunc(f), inline: true})
}

// Reply routes action to f, whose result is sent as a fast reply (if the
// sender expects one). With inline, f runs on the read loop for messages
// that arrived whole and must not block.
func (r *Router) Reply(action string, inline bool, f func(m *Message) Code) {
	r.set(action, route{code: f, inline: inline})
}

// Code routes action to a constant fast reply, answered on the read loop.
func (r *Router) Code(action string, code Code) {
	r.Reply(action, true, func(*Message) Code { return code })
}

// NotFound sets what handles unknown actions (default: fast reply
// NotImplemented).
func (r *Router) NotFound(h Handler) {
	r.mu.Lock()
	r.notFound = route{h: h}
	r.mu.Unlock()
}

func (r *Router) set(action string, rt route) {
	r.mu.Lock()
	r.routes[action] = rt
	r.mu.Unlock()
}

func (r *Router) lookup(action string) route {
	r.mu.RLock()
	rt, ok := r.routes[action]
	if !ok {
		rt = r.notFound
	}
	r.mu.RUnlock()
	if rt.h == nil && rt.code == nil {
		return route{code: func(*Message) Code { return NotImplemented }, inline: true}
	}
	return rt
}

// Inline implements InlineHandler.
func (r *Router) Inline(m *Message) bool { return r.lookup(m.Action).inline }

// ServeSockety implements Handler.
func (r *Router) ServeSockety(m *Message) {
	rt := r.lookup(m.Action)
	if rt.code != nil {
		code := rt.code(m)
		if m.expect {
			_ = m.FastReply(context.Background(), code)
		}
		return
	}
	rt.h.ServeSockety(m)
}
