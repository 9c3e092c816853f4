package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// ServeOnlyConfig configures a server-only process (--server-only).
type ServeOnlyConfig struct {
	Sel Selection
	// Host is the address to listen on ("" = every interface).
	Host string
	// Port is the suite's port (required); ControlPort the control
	// channel's (0 = Port+1, -1 = none).
	Port, ControlPort int
	// Token guards the control channel (required when it is on).
	Token string
	// TLS is the certificate of TLS suites (nil: one is generated).
	TLS *competitors.TLS
	Opt Options
	// Ready, if set, is called once everything listens (tests).
	Ready func(ServeOnlyInfo)
}

// ServeOnlyInfo is what a server-only process prints at start.
type ServeOnlyInfo struct {
	Hello       ControlHello
	Addr        string
	ControlAddr string
	// TLS is the certificate served (TLS suites), generated or loaded.
	TLS *competitors.TLS
}

// ServeOnly starts the suite's server workers and the control channel and
// serves until ctx ends or a worker dies; every worker is gone when it
// returns. The returned error is nil after ctx ended.
func ServeOnly(ctx context.Context, cfg ServeOnlyConfig, log io.Writer) error {
	suite := cfg.Sel.Suite
	n := 1
	if suite.SharedPort() {
		n = max(1, cfg.Opt.Servers)
	}
	tlsMat := cfg.TLS
	usesTLS := false
	if ts, ok := suite.(competitors.TLSSuite); ok && ts.UsesTLS() {
		usesTLS = true
		if tlsMat == nil {
			var err error
			if tlsMat, err = SelfSignedForHosts(); err != nil {
				return err
			}
		}
	} else {
		tlsMat = nil
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	sc := spawnConfig{exe: cfg.Opt.Exe, env: cfg.Opt.Env, log: log, gomaxprocs: cfg.Opt.ServerProcs}
	st := &benchState{died: map[endpoint]bool{}}
	c := &Controller{Opt: cfg.Opt, WorkerLog: log}
	defer func() {
		var wg sync.WaitGroup
		for _, p := range st.servers {
			wg.Add(1)
			go func(p endpoint) { defer wg.Done(); _, _ = p.Stop(context.Background()); p.Kill() }(p)
		}
		wg.Wait()
	}()
	st.servers = c.spawnMany(ctx, sc, RoleServer, n, st)
	if len(st.servers) != n {
		return fmt.Errorf("start server workers: %v", st.failures)
	}
	hello := ControlHello{
		Control: ControlVersion, Tool: "sockety-bench", Version: ToolVersion(), Suite: suite.Name(), Contract: SuiteContract(suite),
		Port: cfg.Port, TLS: usesTLS, Seed: cfg.Opt.Seed, Verify: cfg.Opt.Verify,
	}
	for _, b := range cfg.Sel.Benchmarks {
		hello.Benchmarks = append(hello.Benchmarks, b.Name)
	}
	for _, p := range st.servers {
		r, err := p.Call(ctx, request{Op: opServe, Server: &ServerParams{
			Suite: suite.Name(), Addr: addr, ReusePort: n > 1, TLS: tlsMat,
			Seed: cfg.Opt.Seed, Verify: cfg.Opt.Verify,
		}}, serveTimeout)
		if err != nil {
			return fmt.Errorf("start %s server: %w", suite.Name(), err)
		}
		if r.Addr != "" {
			addr = r.Addr
		}
		hello.Workers = append(hello.Workers, ControlWorker{PID: p.PID(), GOMAXPROCS: p.Procs()})
	}
	info := ServeOnlyInfo{Hello: hello, Addr: addr, TLS: tlsMat}
	if cfg.ControlPort >= 0 {
		cp := cfg.ControlPort
		if cp == 0 {
			cp = cfg.Port + 1
		}
		if err := CheckToken(cfg.Token); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cp)))
		if err != nil {
			return fmt.Errorf("control port: %w", err)
		}
		cs := serveControl(ln, cfg.Token, &serveOnlyHandler{info: hello, workers: st.servers})
		defer cs.Close()
		info.ControlAddr = ln.Addr().String()
	}
	if cfg.Ready != nil {
		cfg.Ready(info)
	}
	// Serve until interrupted or a worker dies.
	deaths := make(chan endpoint, len(st.servers))
	for _, p := range st.servers {
		go func(p endpoint) {
			select {
			case <-p.Done():
				deaths <- p
			case <-ctx.Done():
			}
		}(p)
	}
	select {
	case <-ctx.Done():
		return nil
	case p := <-deaths:
		return fmt.Errorf("%s died: %v", p.Name(), p.ExitError())
	}
}

// serveOnlyHandler answers the control channel of a server-only process.
type serveOnlyHandler struct {
	info    ControlHello
	workers []endpoint
}

func (h *serveOnlyHandler) hello() *ControlHello { c := h.info; return &c }

func (h *serveOnlyHandler) mark(ctx context.Context, i int) (*MarkReply, error) {
	if i < 0 || i >= len(h.workers) {
		return nil, fmt.Errorf("no server worker %d", i)
	}
	r, err := h.workers[i].Call(ctx, request{Op: opMark}, markTimeout)
	if err != nil {
		return nil, fmt.Errorf("server worker %d: mark failed", i)
	}
	if r.Mark == nil {
		return nil, errors.New("empty mark")
	}
	// Only figures go out: CPU times, counters, clocks.
	return &MarkReply{MonoNs: r.Mark.MonoNs, UnixNs: r.Mark.UnixNs, CPU: r.Mark.CPU, CPUError: r.Mark.CPUError, Counters: r.Mark.Counters}, nil
}

// RemoteTarget is a server on another host (--remote).
type RemoteTarget struct {
	Host string
	Port int
	// TLS is the client's TLS material for TLS suites (CA or Insecure).
	TLS *competitors.TLS
	// ControlAddr is the control port's host:port; Token its token. An
	// empty Token means no control channel: server CPU shows n/a.
	ControlAddr string
	Token       string

	// Hello is the control channel's answer (nil without it).
	Hello *ControlHello
}

// Addr is the suite server's host:port.
func (t *RemoteTarget) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// ErrRemoteMismatch is returned when the server-only process serves another
// suite or runs another version.
var ErrRemoteMismatch = errors.New("remote server mismatch")

// Connect asks the control channel what the server-only process serves and
// checks it runs suite with the same tool and control versions. It returns
// nil and leaves Hello nil when there is no token (no control channel).
func (t *RemoteTarget) Connect(ctx context.Context, suite competitors.Suite) error {
	if t.Token == "" {
		return nil
	}
	r, err := controlCall(ctx, t.ControlAddr, t.Token, controlRequest{Op: ctlHello}, ControlIOTimeout)
	if err != nil {
		return err
	}
	h := r.Hello
	if h == nil {
		return fmt.Errorf("control %s: empty hello", t.ControlAddr)
	}
	switch {
	case h.Control != ControlVersion:
		return fmt.Errorf("%w: control protocol %d, this client speaks %d", ErrRemoteMismatch, h.Control, ControlVersion)
	case h.Suite != suite.Name():
		return fmt.Errorf("%w: the server serves suite %q, this client runs %q (use the same filters on both hosts)", ErrRemoteMismatch, h.Suite, suite.Name())
	case h.Contract != SuiteContract(suite):
		return fmt.Errorf("%w: the server defines suite %q's benchmarks differently (different builds: use the same sockety-bench on both hosts)", ErrRemoteMismatch, h.Suite)
	case h.Version != ToolVersion():
		return fmt.Errorf("%w: the server runs sockety-bench %q, this client %q (build both from the same commit)", ErrRemoteMismatch, h.Version, ToolVersion())
	case len(h.Workers) == 0 || len(h.Workers) > maxRemoteWorkers:
		return fmt.Errorf("%w: %d server workers", ErrRemoteMismatch, len(h.Workers))
	}
	t.Hello = h
	return nil
}

// maxRemoteWorkers bounds the workers a control channel may announce.
const maxRemoteWorkers = 1024

// controlEndpoint is one remote server worker seen through the control
// channel: it answers mark only; it cannot be stopped or killed from here.
type controlEndpoint struct {
	t     *RemoteTarget
	index int
}

func (e *controlEndpoint) Name() string { return fmt.Sprintf("remote server %d", e.index) }
func (e *controlEndpoint) PID() int     { return e.t.Hello.Workers[e.index].PID }
func (e *controlEndpoint) Procs() int   { return e.t.Hello.Workers[e.index].GOMAXPROCS }

// Call implements endpoint: only mark goes over the wire.
func (e *controlEndpoint) Call(ctx context.Context, req request, timeout time.Duration) (reply, error) {
	if req.Op != opMark {
		return reply{}, nil
	}
	r, err := controlCall(ctx, e.t.ControlAddr, e.t.Token, controlRequest{Op: ctlMark, Worker: e.index}, min(timeout, ControlIOTimeout))
	if err != nil {
		return reply{}, fmt.Errorf("%s: %w", e.Name(), err)
	}
	return reply{Mark: r.Mark}, nil
}

func (e *controlEndpoint) Stop(context.Context) (*StopReply, error) { return nil, nil }
func (e *controlEndpoint) Kill()                                    {}
func (e *controlEndpoint) Done() <-chan struct{}                    { return nil }
func (e *controlEndpoint) Exited() bool                             { return false }
func (e *controlEndpoint) ExitError() error                         { return nil }

// remoteEndpoints returns the remote server workers (none without control).
func (t *RemoteTarget) endpoints() []endpoint {
	if t.Hello == nil {
		return nil
	}
	out := make([]endpoint, len(t.Hello.Workers))
	for i := range out {
		out[i] = &controlEndpoint{t: t, index: i}
	}
	return out
}
